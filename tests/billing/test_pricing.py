"""The pricing rules, with worked figures from the built-in catalog."""

from __future__ import annotations

from decimal import Decimal

import pytest

from asp_provision.billing.money import rounded
from asp_provision.billing.pricing import monthly_charge
from tests.billing.helpers import billed, catalog


def lines(**changes: object) -> dict[str, Decimal]:
    charge = monthly_charge(billed(**changes), catalog())
    return {line.code: line.amount for line in charge.lines} | {"total": charge.total}


def test_gold_without_discounts_is_base_plus_seats_plus_bandwidth() -> None:
    # 1500 + 50 x 20 + 100 x 3
    assert lines() == {
        "tier-base": Decimal("1500.00"),
        "seats": Decimal("1000.00"),
        "bandwidth": Decimal("300.00"),
        "total": Decimal("2800.00"),
    }


@pytest.mark.parametrize(
    ("seats", "discount"),
    [
        (99, None),  # below the first step
        (100, Decimal("-100.00")),  # 5 % of 100 x 20
        (249, Decimal("-249.00")),  # 5 % of 249 x 20
        (250, Decimal("-500.00")),  # 10 % of 250 x 20
        (400, Decimal("-800.00")),  # still 10 %: the highest that applies
    ],
)
def test_volume_discount_steps_apply_to_the_seats_part_only(
    seats: int, discount: Decimal | None
) -> None:
    found = lines(seats=seats)
    assert found.get("volume-discount") == discount
    expected = Decimal(1500 + seats * 20 + 300) + (discount or 0)
    assert found["total"] == expected


def test_platinum_just_below_the_threshold_pays_platinum() -> None:
    # at silver prices: 500 + 700 x 12 x 0.9 + 969 x 2 = 9998 < 10000
    found = lines(tier="platinum", seats=700, bandwidth_mbps=969)
    assert "promotion" not in found
    # platinum: 4000 + 700 x 35 - 10 % + 969 x 4
    assert found["total"] == Decimal(4000 + 24500 - 2450 + 3876)


def test_platinum_at_the_threshold_pays_the_silver_charge() -> None:
    # at silver prices: 500 + 700 x 12 x 0.9 + 970 x 2 = 10000
    found = lines(tier="platinum", seats=700, bandwidth_mbps=970)
    platinum = Decimal(4000 + 24500 - 2450 + 3880)
    assert found["promotion"] == Decimal(10000) - platinum
    assert found["total"] == Decimal("10000.00")
    assert found["tier-base"] == Decimal("4000.00")  # the platinum lines stay on the invoice


def test_the_promotion_is_for_its_tier_only() -> None:
    assert "promotion" not in lines(tier="gold", seats=700, bandwidth_mbps=970)


@pytest.mark.parametrize(
    ("subscriptions", "off"), [(1, None), (2, Decimal("-280.00")), (3, Decimal("-420.00"))]
)
def test_bundle_discount_by_subscriptions_on_the_account(
    subscriptions: int, off: Decimal | None
) -> None:
    charge = monthly_charge(billed(), catalog(), subscriptions)
    codes = {line.code: line.amount for line in charge.lines}
    assert codes.get("bundle-discount") == off
    assert charge.total == Decimal("2800.00") + (off or 0)


def test_bundle_comes_after_the_volume_discount() -> None:
    # 1500 + 2000 - 100 + 300 = 3700; 10 % off = 370
    charge = monthly_charge(billed(seats=100), catalog(), 2)
    assert charge.amount("bundle-discount") == Decimal("-370.00")
    assert charge.total == Decimal("3330.00")


def test_jpy_lines_are_whole_yen_and_other_currencies_cents() -> None:
    # gold in JPY at 150: 3000 per seat; 101 seats reach the 5 % step
    charge = monthly_charge(billed(currency="JPY", seats=101), catalog())
    assert charge.amount("seats") == Decimal(101 * 3000)
    # 5 % of 303000 = 15150 exactly; totals are whole yen
    assert charge.amount("volume-discount") == Decimal(-15150)
    assert all(line.amount == line.amount.to_integral_value() for line in charge.lines)
    assert rounded(Decimal("2.5"), "JPY") == Decimal(2)  # half-even
    assert rounded(Decimal("3.5"), "JPY") == Decimal(4)
    assert rounded(Decimal("0.125"), "EUR") == Decimal("0.12")


def test_eur_converts_each_line_then_adds_the_rounded_lines() -> None:
    # gold in EUR at 0.92: 1380.00 + 50 x 18.40 + 100 x 2.76
    assert lines(currency="EUR") == {
        "tier-base": Decimal("1380.00"),
        "seats": Decimal("920.00"),
        "bandwidth": Decimal("276.00"),
        "total": Decimal("2576.00"),
    }
