"""Contract terms: the renewal date and the committed months left when ending early."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from asp_provision.billing.books import Books
from asp_provision.billing.terms import add_months, months_remaining, renewal_date
from tests.billing.helpers import billed, catalog

D = dt.date


def test_months_are_added_within_the_month() -> None:
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 11, 15), 3) == D(2027, 2, 15)


def test_the_renewal_is_the_next_end_of_a_term() -> None:
    start = D(2026, 1, 1)
    assert renewal_date(start, 12, D(2026, 6, 30)) == D(2027, 1, 1)
    assert renewal_date(start, 12, D(2027, 1, 1)) == D(2028, 1, 1)  # renewed for a year
    assert renewal_date(start, 36, D(2027, 1, 1)) == D(2029, 1, 1)
    assert renewal_date(start, 1, D(2026, 3, 10)) == D(2026, 4, 1)


def test_committed_months_count_a_started_month_as_one() -> None:
    start = D(2026, 1, 1)
    assert months_remaining(start, 12, D(2026, 1, 1)) == 12
    assert months_remaining(start, 12, D(2026, 10, 15)) == 3  # Oct 15 .. Jan 1
    assert months_remaining(start, 24, D(2026, 12, 1)) == 13


def test_ending_early_commits_the_remaining_months_at_the_monthly_charge(tmp_path: Path) -> None:
    books = Books(tmp_path / "state.db", catalog())
    found = books.commitment(billed(start_date=D(2026, 1, 1)), D(2026, 10, 15))
    assert found is not None
    assert (found.term_end, found.months, found.monthly) == (D(2027, 1, 1), 3, Decimal("2800.00"))
    assert found.amount == Decimal("8400.00")
    assert books.commitment(billed(term_months=1), D(2026, 10, 15)) is None
    assert books.commitment(billed(start_date=D(2027, 1, 1)), D(2026, 10, 15)) is None
