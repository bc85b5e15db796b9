"""Billing starts at go-live: the latest ``billing-started`` day in the site's ledger, else
the start date; terms recorded before go-live move to it, once."""

from __future__ import annotations

import ast
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from asp_provision.billing.books import Books
from asp_provision.billing.golive import billing_started, started_days
from asp_provision.billing.proration import Period
from asp_provision.billing.terms import Billed
from asp_provision.state.store import StateStore
from tests.billing.helpers import billed, catalog
from tests.cli.helpers import ROOT


def _ledger_schema() -> tuple[str, ...]:
    """The site ledger's tables, as the playbooks' ledger module creates them."""
    source = (ROOT / "playbooks" / "library" / "asp_ledger.py").read_text("utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SCHEMA":
            found: tuple[str, ...] = ast.literal_eval(node.value)
            return found
    raise AssertionError("the ledger module has no SCHEMA")


def site_ledger(site: Path, events: list[tuple[str, str, str]]) -> Path:
    """A customer's site folder whose ledger holds ``events`` (account, event, at)."""
    db = site / "billing" / "ledger.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(db) as conn:
        for statement in _ledger_schema():
            conn.execute(statement)
        for account, customer in (("ACME-0001", "acme-corp"), ("GLOBEX-1", "globex-bank")):
            conn.execute(
                "INSERT INTO accounts (account_id, customer, name, tier, cycle, currency, "
                "seats, monthly_charge, annual_charge, start_date, status, opened_at) "
                "VALUES (?, ?, 'x', 'gold', 'monthly', 'USD', 50, 2800, 28000, "
                "'2026-10-01', 'open', '2026-10-01T09:00:00Z')",
                (account, customer),
            )
        conn.executemany("INSERT INTO events (account_id, event, at) VALUES (?, ?, ?)", events)
    return site


def record(books: Books, terms: Billed, effective: str, live: dict[str, dt.date] | None) -> None:
    with StateStore(books.state) as store:
        books.record_terms(store, [terms], dt.date.fromisoformat(effective), "run", live)


def state_rows(books: Books, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(books.state) as conn:
        return conn.execute(sql).fetchall()


def subtotal(books: Books, period: str) -> str | None:
    issued = books.invoice(["acme-corp"], Period.parse(period))
    return issued.invoices[0]["subtotal"] if issued.invoices else None


def test_billing_starts_on_the_latest_billing_started_day_of_the_customer(
    tmp_path: Path,
) -> None:
    site = site_ledger(
        tmp_path / "site" / "acme-corp",
        [
            ("ACME-0001", "opened", "2026-10-01T09:00:00Z"),
            ("ACME-0001", "billing-started", "2026-11-10"),
            ("GLOBEX-1", "billing-started", "2026-12-01"),  # another customer's account
            ("ACME-0001", "billing-stopped", "2026-11-11T10:00:00Z"),
            ("ACME-0001", "billing-started", "2026-11-12T23:30:00-02:00"),  # the 13th in UTC
        ],
    )
    assert billing_started(site, "acme-corp") == dt.date(2026, 11, 13)
    assert billing_started(site, "northwind-traders") is None
    assert started_days(tmp_path / "site", ["acme-corp", "northwind-traders"]) == {
        "acme-corp": dt.date(2026, 11, 13)
    }


def test_a_site_without_a_readable_ledger_starts_nothing(tmp_path: Path) -> None:
    assert billing_started(tmp_path / "nowhere", "acme-corp") is None
    broken = tmp_path / "broken"
    (broken / "billing").mkdir(parents=True)
    (broken / "billing" / "ledger.db").write_text("not a database")
    assert billing_started(broken, "acme-corp") is None
    odd = site_ledger(tmp_path / "odd", [("ACME-0001", "billing-started", "soon")])
    assert billing_started(odd, "acme-corp") is None


def test_without_go_live_billing_starts_on_the_start_date(tmp_path: Path) -> None:
    books = Books(tmp_path / "state.db", catalog())
    record(books, billed(start_date=dt.date(2026, 10, 1)), "2026-10-20", None)
    assert state_rows(books, "SELECT customer, effective FROM billing_changes") == [
        ("acme-corp", "2026-10-01")
    ]
    assert subtotal(books, "2026-10") == "2800.00"


def test_the_go_live_month_is_invoiced_from_the_go_live_day(tmp_path: Path) -> None:
    books = Books(tmp_path / "state.db", catalog())
    live = {"acme-corp": dt.date(2026, 11, 10)}
    record(books, billed(start_date=dt.date(2026, 11, 1)), "2026-11-10", live)
    assert state_rows(books, "SELECT effective FROM billing_changes") == [("2026-11-10",)]
    # 21 of November's 30 days: 2800 x 21 / 30 = 1960.00
    (doc,) = books.invoice(["acme-corp"], Period.parse("2026-11")).invoices
    assert doc["subtotal"] == "1960.00"
    by_code = {line["code"]: line for line in doc["lines"]}
    assert by_code["proration"]["amount"] == "-840.00"
    assert "21/30 days at 2800.00" in by_code["proration"]["description"]
    assert subtotal(books, "2026-12") == "2800.00"
    skipped = books.invoice(["acme-corp"], Period.parse("2026-10")).skipped
    assert skipped == [("acme-corp", "nothing billed in 2026-10")]


def test_terms_recorded_before_go_live_move_to_it_once(tmp_path: Path) -> None:
    books = Books(tmp_path / "state.db", catalog())
    start = dt.date(2026, 9, 1)
    record(books, billed(start_date=start), "2026-09-15", None)
    record(books, billed(start_date=start, seats=60), "2026-10-01", None)
    assert state_rows(books, "SELECT effective FROM billing_changes ORDER BY id") == [
        ("2026-09-01",),
        ("2026-10-01",),
    ]
    live = {"acme-corp": dt.date(2026, 11, 10)}
    record(books, billed(start_date=start, seats=60), "2026-11-10", live)
    # both move to go-live; the later of them (60 seats) holds from then
    assert state_rows(books, "SELECT effective FROM billing_changes ORDER BY id") == [
        ("2026-11-10",),
        ("2026-11-10",),
    ]
    assert state_rows(books, "SELECT customer, day, moved, run_id FROM billing_starts") == [
        ("acme-corp", "2026-11-10", 2, "run")
    ]
    assert subtotal(books, "2026-10") is None
    # 21 of 30 days at 3000 (60 seats) = 2100.00
    assert subtotal(books, "2026-11") == "2100.00"

    # applied again, live on the same day: nothing moves, nothing new is recorded
    record(books, billed(start_date=start, seats=60), "2026-11-20", live)
    # a change after go-live takes effect on its day, and moves nothing back
    record(books, billed(start_date=start, seats=70), "2026-12-16", live)
    assert state_rows(books, "SELECT effective FROM billing_changes ORDER BY id") == [
        ("2026-11-10",),
        ("2026-11-10",),
        ("2026-12-16",),
    ]
    # 15 of 31 days at 3000 + 16 at 3200 = 3103.23
    assert subtotal(books, "2026-12") == "3103.23"
    assert state_rows(books, "SELECT count(*) FROM billing_starts") == [(1,)]


def test_a_contract_runs_from_go_live(tmp_path: Path) -> None:
    books = Books(tmp_path / "state.db", catalog())
    live = {"acme-corp": dt.date(2026, 11, 10)}
    record(books, billed(start_date=dt.date(2026, 10, 1)), "2026-11-10", live)
    (terms_json,) = state_rows(books, "SELECT terms_json FROM billing_changes")[0]
    terms = Billed.from_json(terms_json)
    assert terms.start_date == dt.date(2026, 11, 10)
    found = books.commitment(terms, dt.date(2027, 5, 10))
    assert found is not None
    assert (found.term_end, found.months) == (dt.date(2027, 11, 10), 6)
