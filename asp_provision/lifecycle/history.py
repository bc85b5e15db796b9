"""A customer's history: one timeline, oldest first, of everything recorded about it.

Each kind of record is an event source: a function that reads what it knows of one
customer and yields timestamped events. The timeline merges them. A new kind of record
(the customer's phase changes, say) is one more function registered with
:func:`source`, in this module or in one it imports; nothing else changes. Events of one
instant come in the order of the sources' registration.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asp_provision.config import Workspace
    from asp_provision.state.store import StateReader

FORMAT_VERSION = 1
CUSTOMER = re.compile(r"[a-z][a-z0-9-]{1,38}[a-z0-9]\Z")
"""A customer's slug (``metadata.customer``)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened to a customer, at an instant (timezone-aware)."""

    at: dt.datetime
    source: str  # the source that found it: runs, steps, ledger, site-ledger ...
    kind: str  # what happened: run-started, step-applied, invoice-issued ...
    summary: str  # one line for people
    run_id: str | None = None
    step: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    order: int = 1  # among events of one instant: 0 first (a run's start), 2 last (its end)

    def as_json(self) -> dict[str, Any]:
        """The event as ``history --format json`` prints it."""
        return {
            "at": self.at.isoformat(),
            "source": self.source,
            "event": self.kind,
            "run_id": self.run_id,
            "step": self.step,
            "summary": self.summary,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class Records:
    """Where a customer's history is read from."""

    customer: str
    state: sqlite3.Connection | None  # the state, in one read transaction (None: no state)
    site: Path | None  # the customer's folder of the local site, when it is on this machine


Source = Callable[[Records], Iterable[Event]]

SOURCES: dict[str, Source] = {}
"""The event sources, by name, in the order their events come at one instant."""


def source(name: str) -> Callable[[Source], Source]:
    """Register an event source under ``name``."""

    def register(read: Source) -> Source:
        SOURCES[name] = read
        return read

    return register


@dataclass(frozen=True, slots=True)
class History:
    """A customer's timeline, oldest first."""

    customer: str
    events: list[Event]

    def as_json(self) -> dict[str, Any]:
        """``history --format json`` (format_version 1)."""
        return {
            "format_version": FORMAT_VERSION,
            "customer": self.customer,
            "events": [e.as_json() for e in self.events],
        }


def timeline(records: Records, sources: Iterable[str] | None = None) -> History:
    """Every registered source's events of ``records.customer``, oldest first."""
    names = list(SOURCES) if sources is None else list(sources)
    rank = {name: i for i, name in enumerate(names)}
    events = [event for name in names for event in SOURCES[name](records)]
    events.sort(key=lambda e: (e.at, e.order, rank.get(e.source, len(rank))))
    return History(records.customer, events)


def customer_history(records: Records, has_spec: bool) -> History:
    """The timeline of ``records.customer``; refused for a customer nobody has heard of.

    A customer with a spec but nothing recorded yet has an empty history.
    """
    from asp_provision.errors import UsageError

    if not CUSTOMER.match(records.customer):
        raise UsageError(
            f"{records.customer!r} is not a customer: a customer is named by its slug, "
            "3 to 40 lowercase letters, digits or '-' (metadata.customer)"
        )
    if not has_spec and not known(records):
        raise UsageError(
            f"no customer {records.customer} in the state or the specs: nothing was ever "
            "applied, run or billed for it"
        )
    return timeline(records)


def known(records: Records) -> bool:
    """True when the state has ever heard of the customer (applied, run, billed)."""
    conn = records.state
    if conn is None:
        return False
    for query in (
        "SELECT 1 FROM customers WHERE customer = ?",
        "SELECT 1 FROM step_results WHERE customer = ?",
        "SELECT 1 FROM billing_changes WHERE customer = ?",
    ):
        if conn.execute(query + " LIMIT 1", (records.customer,)).fetchone():
            return True
    return any(True for _ in _runs(conn, records.customer))


def _instant(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _runs(conn: sqlite3.Connection, customer: str) -> Iterator[tuple[Any, ...]]:
    pattern = "%" + json.dumps(customer) + "%"
    for row in conn.execute(
        "SELECT run_id, command, started_at, finished_at, outcome, customers, log_path, pid, "
        "host FROM runs WHERE customers LIKE ? ORDER BY started_at",
        (pattern,),
    ):
        if customer in json.loads(row[5]):
            yield row


@source("runs")
def runs(records: Records) -> Iterator[Event]:
    """Each run of apply or destroy the customer was in: its start, and its end."""
    if records.state is None:
        return
    from asp_provision.state.process import gone

    for row in _runs(records.state, records.customer):
        run_id, command, started, finished, outcome, customers, log, pid, host = row
        others = len(json.loads(customers)) - 1
        details: dict[str, Any] = {"command": command, "log": log}
        if others:
            details["other_customers"] = others
        if finished is None:
            # a run marked running whose process is gone ended without saying how
            if outcome == "running" and gone(pid, host):
                outcome = "interrupted"
            details["outcome"] = outcome
        yield Event(
            _instant(started),
            "runs",
            "run-started",
            f"{command} started" + (f" ({outcome})" if finished is None else ""),
            run_id,
            details=details,
            order=0,
        )
        if finished is None:
            continue
        took = finished - started
        yield Event(
            _instant(finished),
            "runs",
            "run-finished",
            f"{command} {outcome} ({took:.1f} s)",
            run_id,
            details={"command": command, "outcome": outcome, "seconds": round(took, 3)},
            order=2,
        )


_RESULT = {"applied": "step-applied", "failed": "step-failed", "torn-down": "step-torn-down"}


@source("steps")
def steps(records: Records) -> Iterator[Event]:
    """Each step's result, as it happened."""
    if records.state is None:
        return
    for step, run_id, result, at, message in records.state.execute(
        "SELECT step, run_id, result, at, message FROM step_results WHERE customer = ? "
        "ORDER BY at, id",
        (records.customer,),
    ):
        summary = f"{step} {result}" + (f": {message}" if message else "")
        details = {"message": message} if message else {}
        yield Event(_instant(at), "steps", _RESULT[result], summary, run_id, step, details)


@source("signoffs")
def signoffs(records: Records) -> Iterator[Event]:
    """Each sign-off of a gate, and each revocation, as recorded."""
    if records.state is None:
        return
    from asp_provision.state.signoffs import history as signoff_history

    for entry in signoff_history(records.state, records.customer):
        verb = "signed off" if entry.action == "signed" else "revoked"
        summary = f"{entry.gate} {verb} by {entry.by}" + (f": {entry.note}" if entry.note else "")
        details: dict[str, Any] = {"gate": entry.gate, "by": entry.by, "step": entry.step}
        if entry.note:
            details["note"] = entry.note
        kind = "signoff" if entry.action == "signed" else "signoff-revoked"
        yield Event(_instant(entry.at), "signoffs", kind, summary, step=entry.step, details=details)


@source("phases")
def phases(records: Records) -> Iterator[Event]:
    """Each move of the customer from one phase to the next (suspend's reason with it)."""
    if records.state is None:
        return
    from asp_provision.state.phases import history as phase_history

    for entry in phase_history(records.state, records.customer):
        summary = f"phase {entry.phase}" + (f": {entry.reason}" if entry.reason else "")
        details = {"phase": entry.phase, **({"reason": entry.reason} if entry.reason else {})}
        yield Event(
            _instant(entry.at), "phases", "phase-changed", summary, entry.run_id, None, details
        )


@source("ledger")
def ledger(records: Records) -> Iterator[Event]:
    """The billing ledger in the state: terms, invoices, credit notes, commitments, credits."""
    conn = records.state
    if conn is None:
        return
    customer = (records.customer,)
    for effective, terms, run_id, at in conn.execute(
        "SELECT effective, terms_json, run_id, recorded_at FROM billing_changes "
        "WHERE customer = ? ORDER BY id",
        customer,
    ):
        if terms is None:
            yield Event(
                _instant(at),
                "ledger",
                "billing-ended",
                f"billing ends {effective}",
                run_id,
                details={"effective": effective},
            )
            continue
        billed = json.loads(terms)
        summary = (
            f"billed terms from {effective}: {billed.get('tier')}, {billed.get('seats')} seats, "
            f"{billed.get('currency')} {billed.get('cycle')}"
        )
        yield Event(
            _instant(at),
            "ledger",
            "terms-recorded",
            summary,
            run_id,
            details={"effective": effective, "terms": billed},
        )
    for number, period, at, credited_by, document in conn.execute(
        "SELECT number, period, issued_at, credited_by, document_json FROM invoices "
        "WHERE customer = ? ORDER BY issued_at, number",
        customer,
    ):
        total = json.loads(document).get("total")
        currency = json.loads(document).get("currency")
        yield Event(
            _instant(at),
            "ledger",
            "invoice-issued",
            f"invoice {number} for {period}: {currency} {total}",
            details={
                "number": number,
                "period": period,
                "total": total,
                "currency": currency,
                "credited_by": credited_by,
            },
        )
    for number, invoice, at in conn.execute(
        "SELECT number, invoice, issued_at FROM credit_notes WHERE invoice IN "
        "(SELECT number FROM invoices WHERE customer = ?) ORDER BY issued_at, number",
        customer,
    ):
        yield Event(
            _instant(at),
            "ledger",
            "credit-note-issued",
            f"credit note {number} for {invoice}",
            details={"number": number, "invoice": invoice},
        )
    for at, ended, term_end, months, amount, currency in conn.execute(
        "SELECT recorded_at, ended, term_end, months, amount, currency FROM commitments "
        "WHERE customer = ? ORDER BY recorded_at",
        customer,
    ):
        yield Event(
            _instant(at),
            "ledger",
            "commitment-recorded",
            f"ended {ended} before the term's end {term_end}: {months} months, {currency} {amount}",
            details={
                "ended": ended,
                "term_end": term_end,
                "months": months,
                "amount": amount,
                "currency": currency,
            },
        )
    for period, pct, at in conn.execute(
        "SELECT period, pct, recorded_at FROM sla_credits WHERE customer = ? ORDER BY period",
        customer,
    ):
        yield Event(
            _instant(at),
            "ledger",
            "service-credit",
            f"service credit of {pct} % for {period}",
            details={"period": period, "pct": pct},
        )


@source("site-ledger")
def site_ledger(records: Records) -> Iterator[Event]:
    """The events of the customer's accounts in its site's ledger (opened, updated, closed)."""
    if records.site is None or not CUSTOMER.match(records.customer):
        return
    db = records.site / "billing" / "ledger.db"
    if not db.is_file():
        return
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            rows = conn.execute(
                "SELECT e.account_id, e.at, e.event, e.detail FROM events e "
                "JOIN accounts a ON a.account_id = e.account_id WHERE a.customer = ? "
                "ORDER BY e.id",
                (records.customer,),
            ).fetchall()
    except sqlite3.Error:
        return  # the site's ledger is the site's: a broken one hides none of the rest
    for account, at, kind, detail in rows:
        moment = _site_instant(at)
        if moment is None:
            continue
        summary = f"account {account} {kind}"
        details: dict[str, Any] = {"account_id": account}
        if detail:
            try:
                details["detail"] = json.loads(detail)
            except ValueError:
                details["detail"] = detail
        yield Event(moment, "site-ledger", f"account-{kind}", summary, details=details)


def _site_instant(text: Any) -> dt.datetime | None:
    """An instant written by the site's ledger (ISO 8601, ``Z`` for UTC)."""
    if not isinstance(text, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def workspace_history(workspace: Workspace, reader: StateReader, customer: str) -> History:
    """The history of ``customer`` in ``workspace``, from its state and its local site."""
    from asp_provision.spec.batch import SPEC_SUFFIXES

    site = workspace.site_path / customer  # a slug: checked before anything is read there
    specs = workspace.specs_dir
    has_spec = any((specs / f"{customer}{suffix}").is_file() for suffix in SPEC_SUFFIXES)

    def read(conn: sqlite3.Connection | None) -> History:
        return customer_history(Records(customer, conn, site), has_spec)

    found = reader.query(read, None)
    return found if found is not None else read(None)
