"""Invoices over a real state database: numbering, idempotence, reissue, proration, tax."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from asp_provision.billing.books import Books
from asp_provision.billing.proration import Period
from asp_provision.billing.terms import Billed
from asp_provision.state.store import StateStore
from tests.billing.helpers import billed, catalog


def books_with(tmp_path: Path, *changes: tuple[str, Billed | None]) -> Books:
    """A state whose ledger holds ``changes`` (effective day, terms), recorded in order."""
    state = tmp_path / "state.db"
    books = Books(state, catalog())
    with StateStore(state) as store, store.transaction() as conn:
        for day, terms in changes:
            customer = terms.customer if terms else "acme-corp"
            conn.execute(
                "INSERT INTO billing_changes (customer, effective, terms_json, run_id, "
                "recorded_at) VALUES (?, ?, ?, 'test', 0)",
                (customer, day, terms.to_json() if terms else None),
            )
    return books


def codes(doc: dict[str, Any]) -> dict[str, str]:
    return {line["code"]: line["amount"] for line in doc["lines"]}


def only(books: Books, period: str, **kw: Any) -> dict[str, Any]:
    (doc,) = books.invoice(["acme-corp"], Period.parse(period), **kw).invoices
    return doc


def test_a_full_month_of_gold_in_the_us(tmp_path: Path) -> None:
    books = books_with(tmp_path, ("2026-01-01", billed()))
    doc = only(books, "2026-03")
    assert codes(doc) == {
        "tier-base": "1500.00",
        "seats": "1000.00",
        "bandwidth": "300.00",
        "tax": "0.00",
    }
    assert (doc["subtotal"], doc["tax"], doc["total"]) == ("2800.00", "0.00", "2800.00")
    issued = dt.date.fromisoformat(doc["issue_date"])
    assert doc["due_date"] == (issued + dt.timedelta(days=30)).isoformat()
    assert doc["number"].startswith("INV-") and doc["number"].endswith("-000001")


def test_numbers_are_sequential_and_invoicing_again_returns_the_same(tmp_path: Path) -> None:
    books = books_with(
        tmp_path,
        ("2026-01-01", billed()),
        ("2026-01-01", billed(customer="globex-bank", account="GLOBEX")),
    )
    first = books.invoice(None, Period.parse("2026-03")).invoices
    year = dt.datetime.now(dt.UTC).year
    assert [d["number"] for d in first] == [f"INV-{year}-000001", f"INV-{year}-000002"]
    again = books.invoice(None, Period.parse("2026-03")).invoices
    assert again == first
    later = books.invoice(["globex-bank"], Period.parse("2026-04")).invoices
    assert [d["number"] for d in later] == [f"INV-{year}-000003"]


def test_reissue_credits_the_old_invoice_and_numbers_a_new_one(tmp_path: Path) -> None:
    books = books_with(tmp_path, ("2026-01-01", billed()))
    old = only(books, "2026-03")
    issued = books.invoice(["acme-corp"], Period.parse("2026-03"), reissue=True)
    (note,) = issued.credit_notes
    (new,) = issued.invoices
    year = dt.datetime.now(dt.UTC).year
    assert note["number"] == f"CN-{year}-000001"
    assert (note["invoice"], note["total"]) == (old["number"], "-2800.00")
    assert new["number"] == f"INV-{year}-000002"
    assert only(books, "2026-03") == new  # the new one is the period's invoice now
    with StateStore(tmp_path / "state.db") as store:
        kept = store.connection.execute("SELECT number, credited_by FROM invoices").fetchall()
    assert sorted(kept) == [(old["number"], note["number"]), (new["number"], None)]


@pytest.mark.parametrize(
    ("period", "change_day", "days_in_month"),
    [("2026-02", "2026-02-15", 28), ("2026-04", "2026-04-16", 30), ("2026-03", "2026-03-16", 31)],
)
def test_a_mid_month_change_is_prorated_by_days(
    tmp_path: Path, period: str, change_day: str, days_in_month: int
) -> None:
    # 50 seats (2800.00) until the change, then 60 seats (3000.00)
    books = books_with(tmp_path, ("2026-01-01", billed()), (change_day, billed(seats=60)))
    doc = only(books, period)
    before = int(change_day[-2:]) - 1
    after = days_in_month - before
    exact = Decimal(2800) * before / days_in_month + Decimal(3000) * after / days_in_month
    expected = exact.quantize(Decimal("0.01"))
    assert Decimal(doc["subtotal"]) == expected
    assert Decimal(codes(doc)["proration"]) == expected - Decimal(3000)
    assert codes(doc)["seats"] == "1200.00"  # the lines show the terms at the period's end


def test_worked_proration_figures(tmp_path: Path) -> None:
    # February 2026 (28 days): 14 days at 2800 + 14 at 3000 = 2900.00
    books = books_with(tmp_path, ("2026-01-01", billed()), ("2026-02-15", billed(seats=60)))
    assert only(books, "2026-02")["subtotal"] == "2900.00"
    # March (31 days), change on the 11th: 10 x 2800/31 + 21 x 3000/31 = 2935.48
    books = books_with(tmp_path / "b", ("2026-01-01", billed()), ("2026-03-11", billed(seats=60)))
    assert only(books, "2026-03")["subtotal"] == "2935.48"


def test_billing_starts_on_the_start_date(tmp_path: Path) -> None:
    # 20 of April's 30 days: 2800 x 20 / 30 = 1866.67
    start = dt.date(2026, 4, 11)
    books = books_with(tmp_path, ("2026-04-11", billed(start_date=start)))
    assert only(books, "2026-04")["subtotal"] == "1866.67"
    skipped = books.invoice(["acme-corp"], Period.parse("2026-03")).skipped
    assert skipped == [("acme-corp", "nothing billed in 2026-03")]


def test_tax_by_country_and_reverse_charge(tmp_path: Path) -> None:
    books = books_with(tmp_path, ("2026-01-01", billed(country="SE", currency="SEK")))
    doc = only(books, "2026-03")
    # gold in SEK at 10.6: 15900 + 50 x 212 + 100 x 31.80 = 29680.00; 25 % VAT = 7420.00
    assert (doc["subtotal"], doc["tax"], doc["total"]) == ("29680.00", "7420.00", "37100.00")
    # a German business with a VAT number, invoiced from Sweden: reverse charge
    books = books_with(
        tmp_path / "de", ("2026-01-01", billed(country="DE", tax_id="DE123456789", currency="EUR"))
    )
    doc = only(books, "2026-03")
    assert (doc["tax"], doc["tax_note"]) == ("0.00", "reverse charge")
    # without a VAT number, German VAT applies
    books = books_with(tmp_path / "de2", ("2026-01-01", billed(country="DE", currency="EUR")))
    doc = only(books, "2026-03")
    assert (doc["subtotal"], doc["tax"]) == ("2576.00", "489.44")  # 19 %
    # a Swedish business with a VAT number is not reverse charged in Sweden
    books = books_with(tmp_path / "se", ("2026-01-01", billed(country="SE", tax_id="SE5560001")))
    assert only(books, "2026-03")["tax"] == "700.00"


def test_jpy_invoices_are_in_whole_yen(tmp_path: Path) -> None:
    books = books_with(tmp_path, ("2026-01-01", billed(currency="JPY", country="JP", seats=101)))
    doc = only(books, "2026-03")
    # 225000 + 303000 - 15150 + 45000 = 557850; 10 % tax = 55785
    assert (doc["subtotal"], doc["tax"], doc["total"]) == ("557850", "55785", "613635")


def test_annual_subscriptions_are_invoiced_in_the_anniversary_month(tmp_path: Path) -> None:
    start = dt.date(2025, 6, 1)
    books = books_with(tmp_path, ("2025-06-01", billed(cycle="annual", start_date=start)))
    doc = only(books, "2026-06")
    assert doc["subtotal"] == "28000.00"
    assert codes(doc)["seats"] == "10000.00"
    skipped = books.invoice(["acme-corp"], Period.parse("2026-03")).skipped
    assert skipped == [("acme-corp", "billed annually, in June")]


def test_an_annual_change_is_prorated_over_the_year_on_the_next_anniversary(
    tmp_path: Path,
) -> None:
    start = dt.date(2025, 6, 1)
    books = books_with(
        tmp_path,
        ("2025-06-01", billed(cycle="annual", start_date=start)),
        # 50 -> 100 seats on March 1: monthly 2800 -> 3700 (seats 2000, 5 % volume off)
        ("2026-03-01", billed(cycle="annual", start_date=start, seats=100)),
    )
    assert only(books, "2025-06")["subtotal"] == "28000.00"  # the first year, in advance
    assert books.invoice(["acme-corp"], Period.parse("2026-03")).skipped == [
        ("acme-corp", "billed annually, in June")
    ]
    doc = only(books, "2026-06")
    lines = codes(doc)
    # the year ahead at 100 seats: 10 x 3700
    assert (lines["tier-base"], lines["seats"], lines["volume-discount"]) == (
        "15000.00",
        "20000.00",
        "-1000.00",
    )
    # the year just ended: 273/365 days at 28000 + 92/365 at 37000 = 30268.49, less 28000
    assert lines["proration"] == "2268.49"
    (line,) = [x for x in doc["lines"] if x["code"] == "proration"]
    assert line["description"] == (
        "Changes in the year 2025-06-01 to 2026-06-01: 273/365 days at 28000.00; "
        "92/365 days at 37000.00, less 28000.00 billed"
    )
    assert doc["subtotal"] == "39268.49"


def test_annual_changes_there_and_back_and_a_leap_year(tmp_path: Path) -> None:
    start = dt.date(2025, 6, 1)
    books = books_with(
        tmp_path,
        ("2025-06-01", billed(cycle="annual", start_date=start)),
        ("2025-09-01", billed(cycle="annual", start_date=start, seats=100)),
        ("2026-03-01", billed(cycle="annual", start_date=start)),
    )
    # 92 + 92 days at 28000 and 181 at 37000: 32463.01, less 28000
    assert codes(only(books, "2026-06"))["proration"] == "4463.01"
    # a term year with February 29 has 366 days; fewer seats are credited
    leap = dt.date(2023, 6, 1)
    books = books_with(
        tmp_path / "leap",
        ("2023-06-01", billed(cycle="annual", start_date=leap)),
        # 50 -> 25 seats on March 1, 2024: monthly 2800 -> 2300; 92 days left
        ("2024-03-01", billed(cycle="annual", start_date=leap, seats=25)),
    )
    doc = only(books, "2024-06")
    assert codes(doc)["proration"] == "-1256.83"  # -5000 x 92 / 366
    assert codes(doc)["seats"] == "5000.00"  # the year ahead at 25 seats


def test_an_annual_year_without_changes_has_no_proration(tmp_path: Path) -> None:
    start = dt.date(2024, 6, 1)
    books = books_with(tmp_path, ("2024-06-01", billed(cycle="annual", start_date=start)))
    assert "proration" not in codes(only(books, "2026-06"))


def test_a_bundle_of_two_and_three_on_one_account(tmp_path: Path) -> None:
    two = books_with(
        tmp_path,
        ("2026-01-01", billed()),
        ("2026-01-01", billed(customer="acme-mail")),
    )
    assert codes(only(two, "2026-03"))["bundle-discount"] == "-280.00"
    three = books_with(
        tmp_path / "3",
        ("2026-01-01", billed()),
        ("2026-01-01", billed(customer="acme-mail")),
        ("2026-01-01", billed(customer="acme-erp")),
    )
    assert codes(only(three, "2026-03"))["bundle-discount"] == "-420.00"


def test_leaving_a_bundle_mid_month_is_prorated(tmp_path: Path) -> None:
    # acme-mail leaves on April 16: acme-corp pays 15 days bundled (2520) and 15 alone (2800)
    books = books_with(
        tmp_path,
        ("2026-01-01", billed()),
        ("2026-01-01", billed(customer="acme-mail")),
        ("2026-04-16", billed(customer="acme-mail", account="OTHER")),
    )
    assert only(books, "2026-04")["subtotal"] == "2660.00"


def test_a_service_credit_is_a_negative_line_before_tax(tmp_path: Path) -> None:
    books = books_with(tmp_path, ("2026-01-01", billed(country="SE")))
    assert "credit" not in codes(only(books, "2026-02"))  # no credit recorded: no credit line
    with StateStore(tmp_path / "state.db") as store, store.transaction() as conn:
        conn.execute(
            "INSERT INTO sla_credits VALUES ('acme-corp', '2026-03', '10', ?, 0)",
            (json.dumps(["availability 99.7 below 99.9"]),),
        )
    doc = only(books, "2026-03")
    assert codes(doc)["credit"] == "-280.00"
    assert (doc["subtotal"], doc["tax"], doc["total"]) == ("2520.00", "630.00", "3150.00")


def test_an_unknown_customer_and_a_future_period_are_refused(tmp_path: Path) -> None:
    from asp_provision.errors import UsageError

    books = books_with(tmp_path, ("2026-01-01", billed()))
    with pytest.raises(UsageError, match="no billing of nobody in the state"):
        books.invoice(["nobody"], Period.parse("2026-03"))
    with pytest.raises(UsageError, match="2999-01 is in the future"):
        Period.parse("2999-01")
    with pytest.raises(UsageError, match="'2026-13' is not a month"):
        Period.parse("2026-13")
