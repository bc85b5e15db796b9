"""The billing facade over the state: usage import, terms recorded at apply, invoices.

The service exposes it; nothing here prints.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from asp_provision.billing import golive
from asp_provision.billing import invoice as inv
from asp_provision.billing.pricing import monthly_charge
from asp_provision.billing.proration import Period
from asp_provision.billing.terms import Billed, months_remaining, renewal_date
from asp_provision.billing.usage import Usage, read_usage, summarise
from asp_provision.errors import UsageError, UserError
from asp_provision.spec.catalog import Catalog
from asp_provision.state import ledger
from asp_provision.state.store import StateReader, StateStore
from asp_provision.state.url import StateLocation


@dataclass(slots=True)
class Issued:
    """What ``invoice`` produced: invoices (new or as issued before) and credit notes."""

    invoices: list[dict[str, Any]] = field(default_factory=list)
    credit_notes: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # customer, why


@dataclass(frozen=True, slots=True)
class Commitment:
    """The committed months of a contract ended before its term."""

    customer: str
    ended: dt.date
    term_end: dt.date
    months: int
    monthly: Decimal
    currency: str

    @property
    def amount(self) -> Decimal:
        """The committed months x the monthly charge."""
        return self.monthly * self.months


class Books:
    """Billing over one state database, priced by one catalog."""

    def __init__(self, state: StateLocation, catalog: Catalog) -> None:
        self.state = state
        self.catalog = catalog

    # usage

    def import_usage(self, path: Path) -> tuple[int, int]:
        """Record a usage CSV, all or nothing; (rows read, rows new or changed)."""
        with StateStore(self.state) as store:
            known = set(_billed_changes(store.connection))
            rows = read_usage(path, known)
            with store.transaction() as conn:
                changed = ledger.add_samples(
                    conn, ((s.customer, s.metric, s.at, s.value) for s in rows)
                )
        return len(rows), changed

    def usage(self, customer: str, period: Period) -> Usage:
        """A customer's usage in ``period``."""
        start, end = period.epoch()
        return StateReader(self.state).query(
            lambda conn: summarise(ledger.samples(conn, customer, start, end)), Usage()
        )

    # terms

    def record_terms(
        self,
        store: StateStore,
        terms: Iterable[Billed],
        effective: dt.date,
        run_id: str,
        live: Mapping[str, dt.date] | None = None,
    ) -> None:
        """Record each subscription's billed terms when they changed, from ``effective``.

        ``live``: the go-live day of the customers that went live; their billing starts
        then (see :mod:`asp_provision.billing.golive`), the others' on their start date.
        A subscription's first terms take effect on its billing start.
        """
        live = live or {}
        with store.transaction() as conn:
            for billed in terms:
                day = live.get(billed.customer)
                if day is not None:
                    golive.start_once(conn, billed.customer, day, run_id)
                    billed = golive.starting(billed, day)
                before = ledger.latest_terms(conn, billed.customer)
                if before is not None and Billed.from_json(before).charged_alike(billed):
                    continue
                day = billed.start_date if before is None else effective
                ledger.record_change(
                    conn, billed.customer, day.isoformat(), billed.to_json(), run_id
                )

    def commitment(self, terms: Billed, day: dt.date) -> Commitment | None:
        """The months committed beyond ``day`` by the contract, if it ends early."""
        if day < terms.start_date:
            return None
        end = renewal_date(terms.start_date, terms.term_months, day)
        months = months_remaining(terms.start_date, terms.term_months, day)
        if terms.term_months == 1 or months <= 0:
            return None
        monthly = monthly_charge(terms, self.catalog).total
        return Commitment(terms.customer, day, end, months, monthly, terms.currency)

    def end_billing(self, store: StateStore, customer: str, day: dt.date, run_id: str) -> None:
        """Billing of ``customer`` stops on ``day``; its committed months are recorded."""
        with store.transaction() as conn:
            before = ledger.latest_terms(conn, customer)
            if before is None:
                return
            found = self.commitment(Billed.from_json(before), day)
            if found is not None:
                ledger.record_commitment(
                    conn,
                    (
                        customer,
                        day.isoformat(),
                        found.term_end.isoformat(),
                        found.months,
                        str(found.monthly),
                        found.currency,
                        str(found.amount),
                    ),
                )
            ledger.record_change(conn, customer, day.isoformat(), None, run_id)

    # invoices

    def invoice(self, customers: list[str] | None, period: Period, reissue: bool = False) -> Issued:
        """Invoices of ``customers`` (None: all) for ``period``; issued once, then the same."""
        issued = Issued()
        for kind, item in self.issue(customers, period, reissue):
            if isinstance(item, tuple):
                issued.skipped.append(item)
            elif kind == "credit-note":
                issued.credit_notes.append(item)
            else:
                issued.invoices.append(item)
        return issued

    def issue(
        self, customers: list[str] | None, period: Period, reissue: bool = False
    ) -> Iterator[tuple[str, dict[str, Any] | tuple[str, str]]]:
        """Each document as it is issued (or found), so that memory stays flat.

        Yields ("credit-note", doc), ("invoice", doc) or ("skipped", (customer, why)); all
        is committed in one transaction once the last one has been taken.
        """
        today = dt.datetime.now(dt.UTC).date()
        start, end = period.epoch()
        with StateStore(self.state) as store, store.transaction() as conn:
            changes = _billed_changes(conn)
            if customers is not None:
                unknown = [c for c in customers if c not in changes]
                if unknown:
                    raise UsageError(
                        f"no billing of {', '.join(unknown)} in the state: apply it first"
                    )
            groups = _groups(changes)
            for customer in customers if customers is not None else sorted(changes):
                existing = ledger.invoice(conn, customer, str(period))
                if existing is not None and not reissue:
                    yield "invoice", existing
                    continue
                credit = ledger.credit_pct(conn, customer, str(period))
                usage = summarise(ledger.samples(conn, customer, start, end))
                mine = changes[customer]
                group = [changes[c] for c in groups[customer]]
                made = inv.draft(
                    mine,
                    group,
                    period,
                    usage,
                    _percent(credit[0], customer, period) if credit else None,
                    self.catalog,
                )
                if isinstance(made, str):
                    yield "skipped", (customer, made)
                    continue
                if existing is not None:
                    number = ledger.next_number(conn, "CN", today.year)
                    note = inv.credit_note(existing, number, today)
                    ledger.record_credit_note(conn, note)
                    yield "credit-note", note
                number = ledger.next_number(conn, "INV", today.year)
                document = inv.document(made, number, today, self.catalog)
                ledger.record_invoice(conn, document)
                yield "invoice", document


def _percent(text: str, customer: str, period: Period) -> Decimal:
    """A service credit's percent, as the service-level reports recorded it."""
    try:
        pct = Decimal(text)
    except InvalidOperation:
        pct = Decimal(-1)
    if not pct.is_finite() or not 0 <= pct <= 100:
        raise UserError(
            f"the service credit of {customer} for {period} in the state is '{text}', "
            "not a percent from 0 to 100; record it again"
        )
    return pct


def _billed_changes(conn: sqlite3.Connection) -> dict[str, inv.Changes]:
    """Every customer's changes of billed terms, oldest first."""
    out: dict[str, inv.Changes] = defaultdict(list)
    cache: dict[str, Billed] = {}
    for change in ledger.changes(conn):
        terms: Billed | None = None
        if change.terms_json is not None:
            terms = cache.get(change.terms_json)
            if terms is None:
                terms = cache[change.terms_json] = Billed.from_json(change.terms_json)
        out[change.customer].append((dt.date.fromisoformat(change.effective), terms))
    return dict(out)


def _groups(changes: dict[str, inv.Changes]) -> dict[str, list[str]]:
    """For each customer, the customers that shared one of its billing accounts."""
    by_account: dict[str, set[str]] = defaultdict(set)
    for customer, items in changes.items():
        for _, terms in items:
            if terms is not None:
                by_account[terms.account].add(customer)
    out: dict[str, list[str]] = {}
    for customer, items in changes.items():
        members: set[str] = {customer}
        for _, terms in items:
            if terms is not None:
                members |= by_account[terms.account]
        out[customer] = sorted(members)
    return out
