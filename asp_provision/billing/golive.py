"""Billing starts at go-live.

The go-live step records ``billing-started`` in the customer's site ledger, on the spec's
go-live date (``onboarding.go_live``), else on the day it ran. Billing of a customer
starts on its latest ``billing-started`` day there, else on ``billing.start_date``: the
billed terms carry that day as their start date, so proration, the anniversaries of an
annual subscription and the contract's term all count from it.

Terms recorded before go-live (by an apply from before the go-live step existed) move to
the go-live day, once: the state records the day billing started (``billing_starts``)
with the move, and a customer whose billing started is never moved again.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterable
from contextlib import closing
from dataclasses import replace
from pathlib import Path

from asp_provision.billing.terms import Billed

LEDGER = Path("billing") / "ledger.db"
"""The site ledger, inside a customer's folder of the site."""


def billing_started(site: Path, customer: str) -> dt.date | None:
    """The day of the latest ``billing-started`` of ``customer``'s accounts, if any.

    ``site`` is the customer's folder of the site. A ledger that is missing, or cannot
    be read, holds none; an event whose day cannot be read is passed over.
    """
    db = site / LEDGER
    if not db.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            rows = conn.execute(
                "SELECT e.at FROM events e JOIN accounts a ON a.account_id = e.account_id "
                "WHERE a.customer = ? AND e.event = 'billing-started' ORDER BY e.id DESC",
                (customer,),
            ).fetchall()
    except sqlite3.Error:
        return None  # the site's ledger is the site's: a broken one starts nothing
    for (at,) in rows:
        day = _day(at)
        if day is not None:
            return day
    return None


def started_days(site_root: Path, customers: Iterable[str]) -> dict[str, dt.date]:
    """Each customer's go-live day in the site at ``site_root``, for those that went live."""
    found = {}
    for customer in customers:
        day = billing_started(site_root / customer, customer)
        if day is not None:
            found[customer] = day
    return found


def _day(at: object) -> dt.date | None:
    """The day of a ledger time: ``YYYY-MM-DD``, or an ISO 8601 instant (its UTC day)."""
    if not isinstance(at, str):
        return None
    try:
        if len(at) == 10:
            return dt.date.fromisoformat(at)
        moment = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()


def starting(terms: Billed, day: dt.date | None) -> Billed:
    """``terms`` billed from ``day`` (the go-live day), or as they are without one."""
    if day is None or terms.start_date == day:
        return terms
    return replace(terms, start_date=day)


def start_once(conn: sqlite3.Connection, customer: str, day: dt.date, run_id: str) -> int | None:
    """Record that billing of ``customer`` started at go-live on ``day``, once.

    The first time, the terms recorded before ``day`` move to it, and every recorded
    terms of the customer are billed from it; returns how many moved. None when billing
    of the customer had started already (nothing changes).
    """
    known = conn.execute("SELECT 1 FROM billing_starts WHERE customer = ?", (customer,)).fetchone()
    if known is not None:
        return None
    moved = 0
    rows = conn.execute(
        "SELECT id, effective, terms_json FROM billing_changes WHERE customer = ? ORDER BY id",
        (customer,),
    ).fetchall()
    for seq, effective, terms_json in rows:
        text = terms_json
        if terms_json is not None:
            data = json.loads(terms_json)
            data["start_date"] = day.isoformat()
            text = json.dumps(data, sort_keys=True)
        early = effective < day.isoformat()
        if early or text != terms_json:
            conn.execute(
                "UPDATE billing_changes SET effective = ?, terms_json = ? WHERE id = ?",
                (day.isoformat() if early else effective, text, seq),
            )
        moved += early
    conn.execute(
        "INSERT INTO billing_starts (customer, day, moved, run_id, recorded_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (customer, day.isoformat(), moved, run_id, time.time()),
    )
    return moved
