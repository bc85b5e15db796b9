"""Money: Decimal amounts rounded half-even to each currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK", "CLP", "VND", "XAF", "XOF", "PYG"})
HUNDRED = Decimal(100)


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: 1 for JPY, 0.01 for the others."""
    return Decimal(1) if currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")


def rounded(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-even to the currency's minor unit."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_EVEN)


def decimal(value: float | int | str | Decimal) -> Decimal:
    """A catalog number as the Decimal it was written as (0.1 stays 0.1)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def text(amount: Decimal, currency: str) -> str:
    """An amount as JSON carries it: ``"1234.50"``, ``"1235"`` for JPY."""
    return str(rounded(amount, currency))
