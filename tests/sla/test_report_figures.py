"""A month of mixed tickets, reported customer by customer and all at once: worked figures.

The three example customers cover both clocks: globex-bank (platinum, London) and
acme-corp (gold, New York) around the clock, northwind-traders (silver, Berlin) in
business hours without German public holidays. October 2026 has the DST change in Europe
(October 25) but not yet in New York.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from asp_provision.render.sla import report_data
from asp_provision.sla.workflow import load_customers, sla_report
from asp_provision.spec.catalog import load_catalog
from asp_provision.state.sla import TicketRow, write_outages, write_tickets
from asp_provision.state.store import StateStore
from tests.cli.helpers import ROOT

NOW = dt.datetime(2027, 1, 1, tzinfo=dt.UTC).timestamp()
SPECS = sorted((ROOT / "specs").glob("*.yaml"))


def t(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def ticket(
    tid: str, customer: str, priority: str, created: str, first: str | None, resolved: str | None
) -> TicketRow:
    return (
        tid,
        customer,
        priority,
        "email",
        t(created),
        t(first) if first else None,
        t(resolved) if resolved else None,
    )


WORKED = [
    # silver, Berlin: Friday 17:30 to Monday 09:15 is 105 business minutes
    ticket(
        "N-1",
        "northwind-traders",
        "P2",
        "2026-10-09T17:30:00+02:00",
        "2026-10-12T09:15:00+02:00",
        "2026-10-13T18:00:00+02:00",  # 30 + 600 + 600 minutes
    ),
    # across the DST change: Friday 17:00 to Monday 09:00 is 120 minutes
    ticket(
        "N-2",
        "northwind-traders",
        "P1",
        "2026-10-23T17:00:00+02:00",
        "2026-10-26T09:00:00+01:00",
        "2026-10-28T12:00:00+01:00",  # 60 + 600 + 600 + 240 minutes: 25 h, over 24 h
    ),
    # still open at the end of the month: the last hour of Friday counts
    ticket("N-3", "northwind-traders", "P3", "2026-10-30T17:00:00+01:00", None, None),
    # opened on a Saturday: the clock starts on Monday at 08:00
    ticket(
        "N-4",
        "northwind-traders",
        "P4",
        "2026-10-03T10:00:00+02:00",
        "2026-10-05T08:30:00+02:00",
        "2026-10-05T10:00:00+02:00",
    ),
    # platinum: 4:59 met, 5:01 breached
    ticket(
        "G-1",
        "globex-bank",
        "P1",
        "2026-10-05T10:00:00+01:00",
        "2026-10-05T10:04:59+01:00",
        "2026-10-05T10:50:00+01:00",
    ),
    ticket(
        "G-2",
        "globex-bank",
        "P1",
        "2026-10-06T10:00:00+01:00",
        "2026-10-06T10:05:01+01:00",
        "2026-10-06T10:40:00+01:00",
    ),
    # around the clock across the DST change: 00:30 BST to 01:30 GMT is two hours; open
    # to the end of the month: 7 days and 30 minutes
    ticket(
        "G-3", "globex-bank", "P2", "2026-10-25T00:30:00+01:00", "2026-10-25T01:30:00+00:00", None
    ),
    # resolved after the month: measured to the resolution, an hour: met
    ticket(
        "G-4",
        "globex-bank",
        "P1",
        "2026-10-31T23:30:00+00:00",
        "2026-10-31T23:32:00+00:00",
        "2026-11-01T00:30:00+00:00",
    ),
    ticket(
        "A-1",
        "acme-corp",
        "P1",
        "2026-10-10T03:00:00-04:00",
        "2026-10-10T03:20:00-04:00",
        "2026-10-10T05:00:00-04:00",
    ),
    # October in New York though November in UTC: an hour open at the end of the month
    ticket("A-2", "acme-corp", "P4", "2026-10-31T23:00:00-04:00", None, None),
    # September in New York though October in UTC: not in the report
    ticket(
        "A-3",
        "acme-corp",
        "P2",
        "2026-09-30T23:30:00-04:00",
        "2026-09-30T23:40:00-04:00",
        "2026-10-01T01:00:00-04:00",
    ),
]


def _state(tmp_path: Path, tickets: list[TicketRow]) -> StateStore:
    store = StateStore(tmp_path / "state.db")
    write_tickets(store, tickets)
    write_outages(
        store,
        [
            ("globex-bank", t("2026-10-14T10:00:00+01:00"), t("2026-10-14T10:30:00+01:00"), False),
            ("globex-bank", t("2026-10-14T10:20:00+01:00"), t("2026-10-14T10:40:00+01:00"), False),
        ],
    )
    return store


def _reports(store: StateStore, together: bool) -> dict[str, dict[str, Any]]:
    """Every customer's report, from one report of all or from one report each."""
    customers = load_customers(SPECS, load_catalog(), None)
    chosen = [customers.terms[c] for c in sorted(customers.terms)]
    if together:
        reports = sla_report(chosen, "2026-10", store, None, NOW)
    else:
        reports = [r for t in chosen for r in sla_report([t], "2026-10", store, None, NOW)]
    out = {}
    for r in reports:
        data = report_data(r)
        data["credit"].pop("recorded_at")
        out[r.terms.customer] = data
    return out


def _figures(data: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Per priority with tickets: tickets, response and resolution (met, breached, open,
    median, p90)."""
    out = {}
    for p in data["priorities"]:
        if not p["tickets"]:
            continue
        res, sol = p["response"], p["resolution"]
        out[p["priority"]] = (
            p["tickets"],
            (res["met"], res["breached"], res["open"], res["median_minutes"], res["p90_minutes"]),
            (sol["met"], sol["breached"], sol["open"], sol["median_minutes"], sol["p90_minutes"]),
        )
    return out


def test_worked_figures_of_a_mixed_month(tmp_path: Path) -> None:
    store = _state(tmp_path, WORKED)
    with store:
        reports = _reports(store, together=True)
        assert _reports(store, together=False) == reports
    assert _figures(reports["northwind-traders"]) == {
        "P1": (1, (1, 0, 0, 120.0, 120.0), (0, 1, 0, 1500.0, 1500.0)),
        "P2": (1, (1, 0, 0, 105.0, 105.0), (1, 0, 0, 1230.0, 1230.0)),
        "P3": (1, (0, 0, 1, 60.0, 60.0), (0, 0, 1, 60.0, 60.0)),
        "P4": (1, (1, 0, 0, 30.0, 30.0), (1, 0, 0, 120.0, 120.0)),
    }
    assert _figures(reports["globex-bank"]) == {
        "P1": (3, (2, 1, 0, 5.0, 5.0), (3, 0, 0, 50.0, 60.0)),
        "P2": (1, (0, 1, 0, 120.0, 120.0), (0, 1, 0, 10110.0, 10110.0)),
    }
    assert _figures(reports["acme-corp"]) == {
        "P1": (1, (1, 0, 0, 20.0, 20.0), (1, 0, 0, 120.0, 120.0)),
        "P4": (1, (0, 0, 1, 60.0, 60.0), (0, 0, 1, 60.0, 60.0)),
    }
    globex = reports["globex-bank"]
    assert globex["availability"]["downtime_minutes"] == 40.0
    # 40 of 44,700 minutes: the month in London has an hour more, from the DST change
    assert globex["availability"]["pct"] == "99.9105"
    assert globex["breaches"] == 4  # two responses, one resolution, availability
    assert globex["credit"]["pct"] == "15"  # 10 % for availability, 5 % for the P1/P2 tickets


def _random_tickets(count: int) -> list[TicketRow]:
    """Tickets over October and its edges, some open, some resolved in November."""
    rng = random.Random(7)
    customers = ("acme-corp", "globex-bank", "northwind-traders")
    first_day = t("2026-09-30T12:00:00+00:00")
    out: list[TicketRow] = []
    for i in range(count):
        created = first_day + rng.random() * 32 * 86400
        first = created + rng.expovariate(1 / 3600) if rng.random() > 0.1 else None
        resolved = created + rng.expovariate(1 / 80000) if rng.random() > 0.2 else None
        out.append((f"R-{i}", customers[i % 3], f"P{1 + i % 4}", None, created, first, resolved))
    return out


def test_every_customer_at_once_reports_as_each_alone(tmp_path: Path) -> None:
    store = _state(tmp_path, _random_tickets(3000))
    with store:
        reports = _reports(store, together=True)
        assert _reports(store, together=False) == reports
    assert _figures(reports["northwind-traders"]) == PINNED["northwind-traders"]
    assert _figures(reports["globex-bank"]) == PINNED["globex-bank"]
    assert _figures(reports["acme-corp"]) == PINNED["acme-corp"]


PINNED: dict[str, dict[str, tuple[Any, ...]]] = {
    "acme-corp": {
        "P1": (243, (79, 164, 0, 55.0, 2654.2), (24, 219, 0, 1566.8, 17818.3)),
        "P2": (236, (142, 94, 0, 43.3, 308.9), (72, 163, 1, 1320.0, 20726.4)),
        "P3": (240, (177, 63, 0, 49.9, 7444.5), (111, 129, 0, 1068.4, 22646.8)),
        "P4": (243, (211, 32, 0, 51.7, 8450.1), (155, 86, 2, 1172.5, 18054.4)),
    },
    "globex-bank": {
        "P1": (240, (11, 229, 0, 46.5, 263.0), (13, 227, 0, 1013.9, 13688.0)),
        "P2": (246, (35, 211, 0, 48.2, 5251.3), (18, 228, 0, 1319.2, 22140.8)),
        "P3": (242, (54, 188, 0, 49.1, 199.8), (32, 209, 1, 1417.1, 21179.7)),
        "P4": (237, (96, 141, 0, 50.5, 5274.9), (68, 168, 1, 1212.2, 24991.2)),
    },
    "northwind-traders": {
        "P1": (244, (224, 20, 0, 0.0, 124.1), (180, 57, 7, 495.8, 9000.0)),
        "P2": (242, (220, 20, 2, 0.0, 106.7), (198, 33, 11, 300.3, 6000.0)),
        "P3": (246, (218, 25, 3, 0.0, 1200.0), (202, 19, 25, 437.2, 3828.2)),
        "P4": (242, (218, 21, 3, 0.0, 251.8), (192, 10, 40, 413.1, 7200.0)),
    },
}
"""The figures as measured ticket by ticket, one query per customer."""
