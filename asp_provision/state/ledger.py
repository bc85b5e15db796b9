"""The billing ledger in the state: usage samples, billed terms, invoices, credit notes.

Invoices and credit notes are never deleted; their numbers come from a counter per
series and year that only goes up, in the same transaction as the document.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TermsChange:
    """Billed terms (JSON, or None when billing ended) effective from a day."""

    customer: str
    effective: str  # YYYY-MM-DD
    terms_json: str | None
    seq: int


def changes(conn: sqlite3.Connection, customers: Iterable[str] | None = None) -> list[TermsChange]:
    """Every recorded change of billed terms (of ``customers``), oldest first."""
    query = "SELECT customer, effective, terms_json, id FROM billing_changes"
    rows: Iterable[Any]
    if customers is None:
        rows = conn.execute(query + " ORDER BY effective, id")
    else:
        wanted = sorted(set(customers))
        rows = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows.extend(conn.execute(f"{query} WHERE customer IN ({marks})", chunk))
        rows = sorted(rows, key=lambda r: (r[1], r[3]))
    return [TermsChange(r[0], r[1], r[2], r[3]) for r in rows]


def latest_terms(conn: sqlite3.Connection, customer: str) -> str | None:
    """The terms last recorded for ``customer`` (None when none, or billing ended)."""
    row = conn.execute(
        "SELECT terms_json FROM billing_changes WHERE customer = ? ORDER BY id DESC LIMIT 1",
        (customer,),
    ).fetchone()
    return row[0] if row else None


def record_change(
    conn: sqlite3.Connection, customer: str, effective: str, terms_json: str | None, run_id: str
) -> None:
    """Record new billed terms (or the end of billing) from ``effective`` on."""
    conn.execute(
        "INSERT INTO billing_changes (customer, effective, terms_json, run_id, recorded_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (customer, effective, terms_json, run_id, time.time()),
    )


def add_samples(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, int, str]]) -> int:
    """Record usage samples (customer, metric, epoch seconds, value); a repeat is the same row."""
    before = conn.total_changes
    conn.executemany(
        "INSERT INTO usage_samples (customer, metric, at, value) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (customer, metric, at) DO UPDATE SET value = excluded.value "
        "WHERE usage_samples.value != excluded.value",
        rows,
    )
    return conn.total_changes - before


def samples(
    conn: sqlite3.Connection, customer: str, start: int, end: int
) -> Iterator[tuple[str, str]]:
    """(metric, value) of ``customer``'s samples with start <= at < end."""
    yield from conn.execute(
        "SELECT metric, value FROM usage_samples WHERE customer = ? AND at >= ? AND at < ?",
        (customer, start, end),
    )


def invoice(conn: sqlite3.Connection, customer: str, period: str) -> dict[str, Any] | None:
    """The current invoice of ``customer`` for ``period`` (not credited), if any."""
    row = conn.execute(
        "SELECT document_json FROM invoices WHERE customer = ? AND period = ? "
        "AND credited_by IS NULL",
        (customer, period),
    ).fetchone()
    return json.loads(row[0]) if row else None


def next_number(conn: sqlite3.Connection, prefix: str, year: int) -> str:
    """The next number of a series: ``INV-2026-000001``; never reused."""
    series = f"{prefix}-{year}"
    conn.execute(
        "INSERT INTO billing_numbers (series, last) VALUES (?, 1) "
        "ON CONFLICT (series) DO UPDATE SET last = billing_numbers.last + 1",
        (series,),
    )
    (last,) = conn.execute(
        "SELECT last FROM billing_numbers WHERE series = ?", (series,)
    ).fetchone()
    return f"{series}-{int(last):06d}"


def record_invoice(conn: sqlite3.Connection, document: dict[str, Any]) -> None:
    """Keep an issued invoice."""
    conn.execute(
        "INSERT INTO invoices (number, customer, period, issued_at, document_json) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            document["number"],
            document["customer"],
            document["period"],
            time.time(),
            json.dumps(document, sort_keys=True),
        ),
    )


def record_credit_note(conn: sqlite3.Connection, document: dict[str, Any]) -> None:
    """Keep a credit note and mark the invoice it cancels."""
    conn.execute(
        "INSERT INTO credit_notes (number, invoice, issued_at, document_json) VALUES (?, ?, ?, ?)",
        (
            document["number"],
            document["invoice"],
            time.time(),
            json.dumps(document, sort_keys=True),
        ),
    )
    conn.execute(
        "UPDATE invoices SET credited_by = ? WHERE number = ?",
        (document["number"], document["invoice"]),
    )


def credit_pct(conn: sqlite3.Connection, customer: str, period: str) -> tuple[str, str] | None:
    """The service credit (percent, reasons JSON) of ``customer`` for ``period``, if any.

    The table is written by the service-level reports; without it there is no credit.
    """
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sla_credits'"
    ).fetchone()
    if not exists:
        return None
    row = conn.execute(
        "SELECT pct, reasons FROM sla_credits WHERE customer = ? AND period = ?",
        (customer, period),
    ).fetchone()
    return (str(row[0]), str(row[1])) if row else None


def record_commitment(conn: sqlite3.Connection, row: tuple[Any, ...]) -> None:
    """Record the committed months of a contract ended before its term."""
    conn.execute(
        "INSERT INTO commitments (customer, recorded_at, ended, term_end, months, monthly, "
        "currency, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (row[0], time.time(), *row[1:]),
    )
