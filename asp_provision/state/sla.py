"""Tickets, outages and service credits in the state.

These writes leave the state's serial alone: they change no customer's provisioning, so
a saved plan stays good across an import or a report.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from asp_provision.state.store import StateReader, StateStore, state_error

TicketRow = tuple[str, str, str, str | None, float, float | None, float | None]
"""id, customer, priority, channel, created, first_response, resolved (POSIX seconds)."""

PRIORITIES = ("P1", "P2", "P3", "P4")
"""The priorities a ticket may have (the table's check), in order."""

TicketTimes = tuple[float, float | None, float | None]
"""created, first_response, resolved (POSIX seconds) of one ticket."""

OutageRow = tuple[str, float, float, bool]
"""customer, start, end, planned."""


@dataclass(frozen=True, slots=True)
class Credit:
    """A service credit recorded for a customer and month."""

    customer: str
    period: str
    pct: Decimal
    reasons: list[str]
    recorded_at: float


@contextmanager
def _writing(store: StateStore) -> Iterator[sqlite3.Connection]:
    conn = store.connection
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise state_error(store.path, exc, store.timeout) from None
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def write_tickets(store: StateStore, rows: Iterable[TicketRow]) -> tuple[int, int]:
    """Insert or update tickets by id, in one transaction; (new, updated)."""
    now = time.time()
    with _writing(store) as conn:
        before = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        count = 0
        for row in rows:
            conn.execute(
                "INSERT INTO tickets (id, customer, priority, channel, created, first_response, "
                "resolved, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO "
                "UPDATE SET customer = excluded.customer, priority = excluded.priority, "
                "channel = excluded.channel, created = excluded.created, "
                "first_response = excluded.first_response, resolved = excluded.resolved, "
                "imported_at = excluded.imported_at",
                (*row, now),
            )
            count += 1
        added = conn.execute("SELECT count(*) FROM tickets").fetchone()[0] - before
    return added, count - added


def write_outages(store: StateStore, rows: Iterable[OutageRow]) -> tuple[int, int]:
    """Insert or update outages by customer and start, in one transaction; (new, updated)."""
    now = time.time()
    with _writing(store) as conn:
        before = conn.execute("SELECT count(*) FROM outages").fetchone()[0]
        count = 0
        for customer, start, end, planned in rows:
            conn.execute(
                "INSERT INTO outages (customer, start, end, planned, imported_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer, start) DO UPDATE SET "
                "end = excluded.end, planned = excluded.planned, "
                "imported_at = excluded.imported_at",
                (customer, start, end, int(planned), now),
            )
            count += 1
        added = conn.execute("SELECT count(*) FROM outages").fetchone()[0] - before
    return added, count - added


def record_credit(
    store: StateStore, customer: str, period: str, pct: Decimal, reasons: Sequence[str]
) -> tuple[Credit, bool]:
    """Record a month's credit once; (the recorded credit, whether it was recorded now).

    A credit already recorded for the customer and month is kept as it is.
    """
    with _writing(store) as conn:
        cur = conn.execute(
            "INSERT OR IGNORE INTO sla_credits (customer, period, pct, reasons, recorded_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (customer, period, str(pct), json.dumps(list(reasons)), time.time()),
        )
        new = cur.rowcount == 1
        row = conn.execute(
            "SELECT pct, reasons, recorded_at FROM sla_credits WHERE customer = ? AND period = ?",
            (customer, period),
        ).fetchone()
    return Credit(customer, period, Decimal(row[0]), json.loads(row[1]), row[2]), new


class SlaReader:
    """Reads tickets, outages and credits in one read transaction."""

    def __init__(self, reader: StateReader) -> None:
        self.reader = reader

    @contextmanager
    def open(self) -> Iterator[SlaView]:
        """A consistent view of the state's service-level tables."""
        with self.reader._reading() as conn:
            yield SlaView(conn)


class SlaView:
    """Queries on an open read transaction (no state: every query is empty)."""

    def __init__(self, conn: sqlite3.Connection | None) -> None:
        self.conn = conn

    def tickets(self, customer: str, start: float, end: float) -> dict[str, list[TicketTimes]]:
        """The customer's tickets opened in [start, end), by priority, in order of creation.

        Each as (created, first_response, resolved); a priority without tickets is left out.
        One query per priority, each a range of the index that holds these columns.
        """
        if self.conn is None:
            return {}
        out = {}
        for priority in PRIORITIES:
            rows = self.conn.execute(
                "SELECT created, first_response, resolved FROM tickets "
                "WHERE customer = ? AND priority = ? AND created >= ? AND created < ? "
                "ORDER BY created",
                (customer, priority, start, end),
            ).fetchall()
            if rows:
                out[priority] = rows
        return out

    def outages(self, customer: str, start: float, end: float) -> list[tuple[float, float, int]]:
        """(start, end, planned) of outages overlapping [start, end)."""
        if self.conn is None:
            return []
        return self.conn.execute(
            "SELECT start, end, planned FROM outages WHERE customer = ? AND start < ? AND end > ?",
            (customer, end, start),
        ).fetchall()

    def credit(self, customer: str, period: str) -> Credit | None:
        """The credit recorded for a customer and month, if any."""
        if self.conn is None:
            return None
        row = self.conn.execute(
            "SELECT pct, reasons, recorded_at FROM sla_credits WHERE customer = ? AND period = ?",
            (customer, period),
        ).fetchone()
        if row is None:
            return None
        return Credit(customer, period, Decimal(row[0]), json.loads(row[1]), row[2])
