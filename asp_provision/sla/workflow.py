"""The service-level commands' work: who the customers are, imports, and the report."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asp_provision.errors import SpecsInvalid, UsageError
from asp_provision.sla.cache import TermsCache
from asp_provision.sla.imports import read_outages, read_tickets
from asp_provision.sla.report import CustomerReport, customer_report, parse_period
from asp_provision.sla.terms import Terms, terms
from asp_provision.spec.batch import (
    DuplicateCustomers,
    FileReport,
    ValidationReport,
    check_files,
)
from asp_provision.spec.catalog import Catalog
from asp_provision.spec.check import CheckedSpec
from asp_provision.state.sla import SlaReader, record_credit, write_outages, write_tickets
from asp_provision.state.store import StateReader, StateStore


def _prepare(result: CheckedSpec, catalog: Catalog) -> None:
    if result.subscription is not None:
        result.derived["terms"] = terms(result.subscription, catalog).as_data()


@dataclass(frozen=True, slots=True)
class Customers:
    """The workspace's customers and their terms, from their specs."""

    terms: dict[str, Terms]

    def lookup(self) -> dict[str, str]:
        """Slug, and display name lowercased, -> slug, for matching import files."""
        found: dict[str, str] = {}
        for slug, t in self.terms.items():
            found.setdefault(t.name.lower(), slug)
        found.update({slug: slug for slug in self.terms})
        return found


def load_customers(
    files: list[Path],
    catalog: Catalog,
    catalog_path: Path | None,
    cache: TermsCache | None = None,
) -> Customers:
    """Every spec's terms; SpecsInvalid (with the report) when any spec is invalid.

    With ``cache``, the terms of a file unchanged since it last checked clean are taken
    from it, and the others are checked; when any of them fails, or two files name one
    customer, every file is checked, for the full report.
    """
    if cache is not None:
        found = _cached_customers(files, catalog, catalog_path, cache)
        if found is not None:
            cache.save()
            return found
    return _check_customers(files, catalog, catalog_path)


def _cached_customers(
    files: list[Path], catalog: Catalog, catalog_path: Path | None, cache: TermsCache
) -> Customers | None:
    """The terms from the cache and the files not in it; None when a file fails."""
    keys = [cache.key(f) for f in files]
    known = [cache.get(k) for k in keys]
    todo = [f for f, data in zip(files, known, strict=True) if data is None]
    checked: list[tuple[str | None, Terms]] = []
    results = check_files(todo, catalog_path, keep_models=True, prepare=_prepare)
    for path, result in zip(todo, results, strict=True):
        if result.errors:
            return None
        if result.subscription is not None:
            t = terms(result.subscription, catalog)
        elif "terms" in result.derived:
            t = Terms.from_data(result.derived["terms"])
        else:
            return None
        checked.append((cache.key(path, result.content_hash), t))
    fresh = iter(checked)
    found: dict[str, Terms] = {}
    for data in known:
        if data is None:
            key, t = next(fresh)
            cache.put(key, t.as_data())
        else:
            t = Terms.from_data(data)
        if t.customer in found:
            return None
        found[t.customer] = t
    return Customers(found)


def _check_customers(files: list[Path], catalog: Catalog, catalog_path: Path | None) -> Customers:
    dupes = DuplicateCustomers()
    reports: list[FileReport] = []
    found: dict[str, Terms] = {}
    for result in check_files(files, catalog_path, keep_models=True, prepare=_prepare):
        result = dupes.check(result)
        reports.append(FileReport(result.path, result.customer, tuple(result.diagnostics)))
        if result.subscription is not None:
            t = terms(result.subscription, catalog)
        elif "terms" in result.derived:
            t = Terms.from_data(result.derived["terms"])
        else:
            continue
        found[t.customer] = t
    report = ValidationReport(tuple(reports))
    if report.errors:
        raise SpecsInvalid(report)
    return Customers(found)


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import did."""

    path: Path
    rows: int
    added: int
    updated: int


def import_tickets(store: StateStore, path: Path, fmt: str, customers: Customers) -> Imported:
    """Read every ticket of ``path`` and write them all, or nothing."""
    rows = read_tickets(path, fmt, customers.lookup())
    added, updated = write_tickets(store, rows)
    return Imported(path, len(rows), added, updated)


def import_outages(store: StateStore, path: Path, customers: Customers) -> Imported:
    """Read every outage of ``path`` and write them all, or nothing."""
    rows = read_outages(path, customers.lookup())
    added, updated = write_outages(store, rows)
    return Imported(path, len(rows), added, updated)


def select(customers: Customers, wanted: Iterable[str], everyone: bool) -> list[Terms]:
    """The customers a report covers: those named, or every one (``--all``)."""
    names = list(wanted)
    if everyone and names:
        raise UsageError("name customers or give --all, not both")
    if everyone:
        return [customers.terms[c] for c in sorted(customers.terms)]
    if not names:
        raise UsageError("name the customers to report on, or give --all")
    unknown = [n for n in names if n not in customers.terms]
    if unknown:
        raise UsageError(
            f"no spec for {', '.join(unknown)}; customers: {', '.join(sorted(customers.terms))}"
        )
    return [customers.terms[n] for n in dict.fromkeys(names)]


@contextmanager
def no_cycles() -> Iterator[None]:
    """No cycle collection while the tickets are read and measured (and reported).

    They are a million small objects, and the reports hold lists of a million times,
    none of them in cycles; each collection would walk them all again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sla_report(
    chosen: list[Terms],
    period: str,
    reader: StateReader,
    store: StateStore | None,
    now: float | None = None,
    charts: bool = True,
) -> list[CustomerReport]:
    """Each customer's month; a month that has ended gets its credits recorded, once.

    With ``store`` None nothing is recorded. ``charts``: keep what the charts draw.
    """
    parse_period(period)
    now = time.time() if now is None else now
    with SlaReader(reader).open() as view, no_cycles():
        reports = [customer_report(t, period, view, now, None, charts) for t in chosen]
        recorded = {r.terms.customer: view.credit(r.terms.customer, period) for r in reports}
    for report in reports:
        credit = report.credit
        earlier = recorded[report.terms.customer]
        if earlier is not None:
            credit.status = "recorded-earlier"
            credit.recorded_pct, credit.recorded_at = earlier.pct, earlier.recorded_at
        elif credit.pct and report.end <= now and store is not None:
            kept, new = record_credit(
                store, report.terms.customer, period, credit.pct, credit.reasons
            )
            credit.status = "recorded" if new else "recorded-earlier"
            credit.recorded_pct, credit.recorded_at = kept.pct, kept.recorded_at
    return reports


def ranked(reports: list[CustomerReport]) -> list[CustomerReport]:
    """Most breaches first, then the lowest availability, then by customer."""
    return sorted(reports, key=lambda r: (-r.breaches, r.availability_pct, r.terms.customer))
