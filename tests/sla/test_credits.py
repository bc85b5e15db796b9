"""Availability and credits by the schedule, from outages and tickets in a real state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from asp_provision.sla.report import customer_report
from asp_provision.sla.terms import terms
from asp_provision.spec.catalog import load_catalog
from asp_provision.spec.check import check_file
from asp_provision.state.sla import SlaReader, write_outages, write_tickets
from asp_provision.state.store import StateStore
from tests.cli.helpers import ROOT

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2027, 1, 1, tzinfo=dt.UTC).timestamp()


def _terms():  # type: ignore[no-untyped-def]
    catalog = load_catalog()
    sub = check_file(ROOT / "specs" / "globex-bank.yaml", catalog).subscription
    assert sub is not None
    return terms(sub, catalog)


def at(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=LONDON).timestamp()  # type: ignore[misc]


def _report(tmp_path: Path, outages: list[tuple[float, float, bool]], tickets=()):  # type: ignore[no-untyped-def]
    store = StateStore(tmp_path / "state.db")
    with store:
        if outages:
            write_outages(store, [("globex-bank", a, b, p) for a, b, p in outages])
        if tickets:
            write_tickets(store, list(tickets))
        with SlaReader(store).open() as view:
            return customer_report(_terms(), "2026-11", view, NOW)


def test_a_planned_outage_counts_only_outside_the_maintenance_window(tmp_path: Path) -> None:
    # platinum's window is Sun 03:00-05:00; planned work 02:00-06:00 on Sunday 2026-11-08
    report = _report(tmp_path, [(at(2026, 11, 8, 2), at(2026, 11, 8, 6), True)])
    assert report.downtime_minutes == 120


def test_overlapping_outages_are_merged(tmp_path: Path) -> None:
    report = _report(
        tmp_path,
        [
            (at(2026, 11, 10, 9), at(2026, 11, 10, 10), False),
            (at(2026, 11, 10, 9, 30), at(2026, 11, 10, 11), False),
            (at(2026, 11, 10, 10, 30), at(2026, 11, 10, 10, 45), True),  # inside the others
        ],
    )
    assert report.downtime_minutes == 120
    # 120 of 43,200 minutes in November
    assert report.availability_pct == Decimal("99.7222")


def test_availability_steps_and_the_cap(tmp_path: Path) -> None:
    # 9 hours down: 98.75 %, more than 1 point under 99.95: 50 %; and a late P1: capped at 50 %
    late = ("T-1", "globex-bank", "P1", None, at(2026, 11, 2, 9), at(2026, 11, 2, 10), None)
    report = _report(tmp_path, [(at(2026, 11, 3, 0), at(2026, 11, 3, 9), False)], tickets=[late])
    assert report.availability_pct == Decimal("98.7500")
    assert report.credit.pct == Decimal(50)
    assert report.credit.reasons == [
        "availability 98.75 % is under 98.95 %: 50 %",
        "response targets met on 0.0 % of P1/P2 tickets (under 95 %): 5 %",
        "capped at 50 %",
    ]
    assert report.credit.amount == Decimal("5480.62")  # half of GBP 10,961.25, half-even


def test_a_platinum_p1_answered_in_4_59_is_met_and_in_5_01_breached(tmp_path: Path) -> None:
    opened = at(2026, 11, 2, 9)
    tickets = [
        ("A", "globex-bank", "P1", None, opened, opened + 299, opened + 600),
        ("B", "globex-bank", "P1", None, opened, opened + 301, opened + 600),
    ]
    report = _report(tmp_path, [], tickets)
    p1 = report.priorities[0]
    assert (p1.response_met, p1.response_breached) == (1, 1)
    assert report.availability_pct == Decimal("100.0000")


def test_an_open_ticket_is_measured_to_the_end_of_the_month(tmp_path: Path) -> None:
    opened = at(2026, 11, 30, 23, 30)
    tickets = [("C", "globex-bank", "P3", None, opened, None, None)]
    p3 = _report(tmp_path, [], tickets).priorities[2]
    assert p3.response_minutes == [30.0]  # to midnight, not to now
    assert (p3.response_open, p3.response_breached) == (0, 1)  # 20-minute target
    assert (p3.resolution_open, p3.resolution_breached) == (1, 0)
