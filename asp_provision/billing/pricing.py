"""The monthly charge of a subscription: tier prices, volume discount, promotion, bundle.

Every line is rounded to the currency's minor unit (half-even) and the charge is the sum
of its rounded lines, so an invoice adds up to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from asp_provision.billing.money import HUNDRED, decimal, rounded
from asp_provision.billing.terms import Billed
from asp_provision.spec.catalog import Catalog


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a charge or an invoice."""

    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class MonthlyCharge:
    """A month of a subscription, line by line, in its currency."""

    currency: str
    lines: tuple[Line, ...]

    @property
    def total(self) -> Decimal:
        """The sum of the rounded lines."""
        return sum((line.amount for line in self.lines), Decimal(0))

    def amount(self, code: str) -> Decimal:
        """The sum of the lines with ``code``."""
        return sum((line.amount for line in self.lines if line.code == code), Decimal(0))


def rate(catalog: Catalog, currency: str) -> Decimal:
    """The base currency's price multiplier for ``currency``."""
    return decimal(catalog.currencies[currency])


def volume_pct(catalog: Catalog, seats: int) -> Decimal:
    """The highest volume discount (percent) that ``seats`` reach, or 0."""
    reached = [v.pct for v in catalog.pricing.volume_discounts if seats >= v.min_seats]
    return max(reached, default=Decimal(0))


def bundle_pct(catalog: Catalog, subscriptions: int) -> Decimal:
    """Percent off for an account holding ``subscriptions`` (the largest step reached)."""
    reached = [(n, pct) for n, pct in catalog.pricing.bundles.items() if subscriptions >= n]
    return max(reached)[1] if reached else Decimal(0)


def _tier_lines(billed: Billed, tier: str, catalog: Catalog) -> list[Line]:
    """Base, seats, bandwidth and volume discount at ``tier``'s prices."""
    prices = catalog.tiers[tier].prices
    cur = billed.currency
    fx = rate(catalog, cur)
    base = rounded(decimal(prices.base) * fx, cur)
    per_seat = decimal(prices.per_seat) * fx
    per_mbps = decimal(prices.per_mbps) * fx
    seats = rounded(billed.seats * per_seat, cur)
    lines = [
        Line("tier-base", f"{tier.capitalize()} tier", Decimal(1), base, base),
        Line("seats", "Seats", Decimal(billed.seats), rounded(per_seat, cur), seats),
        Line(
            "bandwidth",
            "Bandwidth (Mbps)",
            Decimal(billed.bandwidth_mbps),
            rounded(per_mbps, cur),
            rounded(billed.bandwidth_mbps * per_mbps, cur),
        ),
    ]
    pct = volume_pct(catalog, billed.seats)
    if pct:
        lines.append(
            Line(
                "volume-discount",
                f"Volume discount {pct}% on seats",
                Decimal(1),
                -rounded(seats * pct / HUNDRED, cur),
                -rounded(seats * pct / HUNDRED, cur),
            )
        )
    return lines


def _in_base_currency(billed: Billed, tier: str, catalog: Catalog) -> Decimal:
    """The monthly charge at ``tier``'s prices after volume discount, unrounded, in USD."""
    prices = catalog.tiers[tier].prices
    seats = billed.seats * decimal(prices.per_seat)
    seats -= seats * volume_pct(catalog, billed.seats) / HUNDRED
    return decimal(prices.base) + seats + billed.bandwidth_mbps * decimal(prices.per_mbps)


def monthly_charge(billed: Billed, catalog: Catalog, subscriptions: int = 1) -> MonthlyCharge:
    """A month of ``billed``, on an account that holds ``subscriptions`` subscriptions."""
    cur = billed.currency
    lines = _tier_lines(billed, billed.tier, catalog)
    own = sum((line.amount for line in lines), Decimal(0))
    for promo in catalog.pricing.promotions:
        if promo.tier != billed.tier or promo.priced_as not in catalog.tiers:
            continue
        if _in_base_currency(billed, promo.priced_as, catalog) < promo.min_monthly:
            continue
        promoted = sum(
            (x.amount for x in _tier_lines(billed, promo.priced_as, catalog)), Decimal(0)
        )
        if promoted < own:
            saving = promoted - own
            lines.append(
                Line(
                    "promotion",
                    f"{billed.tier.capitalize()} at {promo.priced_as.capitalize()} prices",
                    Decimal(1),
                    saving,
                    saving,
                )
            )
            own = promoted
        break
    bundle = bundle_line(own, cur, catalog, subscriptions)
    if bundle is not None:
        lines.append(bundle)
    return MonthlyCharge(cur, tuple(lines))


def bundle_line(
    monthly: Decimal, currency: str, catalog: Catalog, subscriptions: int
) -> Line | None:
    """The bundle discount on ``monthly`` for an account of ``subscriptions``, if any."""
    pct = bundle_pct(catalog, subscriptions)
    if not pct:
        return None
    off = -rounded(monthly * pct / HUNDRED, currency)
    return Line(
        "bundle-discount",
        f"Bundle of {subscriptions} subscriptions: {pct}% off",
        Decimal(1),
        off,
        off,
    )
