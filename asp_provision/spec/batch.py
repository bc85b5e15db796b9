"""Check many spec files: in parallel when there are many, in a stable order."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from asp_provision.errors import UsageError
from asp_provision.spec.across import check_across
from asp_provision.spec.catalog import Catalog, load_catalog
from asp_provision.spec.check import CheckedSpec, SpecRule, check_file
from asp_provision.spec.diagnostics import Diagnostic, Tally
from asp_provision.spec.effective import effective_document

SPEC_SUFFIXES = (".yaml", ".yml")
PARALLEL_FROM = 48
"""Below this many files, one process is faster than starting workers."""
_CHUNK = 16


def spec_files(paths: Iterable[Path]) -> list[Path]:
    """The spec files named by ``paths`` (files, or folders searched for *.yaml)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            )
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return found


Prepare = Callable[[CheckedSpec, Catalog], None]
"""A module-level function run on each valid spec where it was checked (on every core)."""

_Job = tuple[Path, Path | None, bool, Prepare | None, Path | None, tuple[SpecRule, ...]]


def _check_one(args: _Job) -> CheckedSpec:
    path, catalog_path, keep, _, workspace, extra = args
    catalog = load_catalog(catalog_path)
    result = check_file(path, catalog, digest=keep, workspace=workspace, extra=extra)
    if not keep:
        result.subscription = None
        result.data = None
    return result


def _check_in_worker(args: _Job) -> CheckedSpec:
    # a model is slow to pickle; its loaded values are quick, and rebuilding is cheap
    result = _check_one(args)
    if result.subscription is not None:
        # the effective spec is plain data: work done here is done on every core
        result.document = effective_document(
            result.subscription, load_catalog(args[1]), workspace=args[4]
        )
        prepare = args[3]
        if prepare is not None:
            prepare(result, load_catalog(args[1]))
    result.subscription = None
    return result


def check_files(
    files: list[Path],
    catalog_path: Path | None,
    keep_models: bool = False,
    prepare: Prepare | None = None,
    workspace: Path | None = None,
    extra: tuple[SpecRule, ...] = (),
) -> Iterator[CheckedSpec]:
    """Check ``files`` in order; results stream out so memory stays flat.

    ``keep_models``: a valid result keeps its model, or, when a worker checked it, the
    values to build it from (``data``). ``prepare`` runs on each valid spec in the worker
    that checked it, when the files are many enough to be checked by several; what it
    computes is in ``derived``. ``workspace``: where the specs' own files are checked.
    ``extra``: rules beside the spec's own, run on each spec that passes those.
    """
    load_catalog(catalog_path)  # fail fast on a broken catalog, before any worker starts
    jobs = ((f, catalog_path, keep_models, prepare, workspace, extra) for f in files)
    workers = min(os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_FROM or workers < 2:
        yield from map(_check_one, jobs)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_check_in_worker, jobs, chunksize=_CHUNK)


@dataclass(frozen=True, slots=True)
class FileReport(Tally):
    """The diagnostics of one file."""

    path: str
    customer: str | None
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Every file's diagnostics, in the order the files were given."""

    files: tuple[FileReport, ...]

    @property
    def errors(self) -> int:
        """Errors in all files."""
        return sum(f.errors for f in self.files)

    @property
    def warnings(self) -> int:
        """Warnings in all files."""
        return sum(f.warnings for f in self.files)

    @property
    def invalid(self) -> int:
        """Files with at least one error."""
        return sum(1 for f in self.files if not f.valid)

    def ok(self, strict: bool = False) -> bool:
        """True when nothing fails (warnings fail too under ``strict``)."""
        return self.errors == 0 and not (strict and self.warnings)


class DuplicateCustomers:
    """Spots a customer defined by a second file; the error goes on the second."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def check(self, result: CheckedSpec) -> CheckedSpec:
        """Return ``result`` with a duplicate-customer error added when needed."""
        customer = result.customer
        if customer is None:
            return result
        first = self.seen.setdefault(customer, result.path)
        if first == result.path:
            return result
        line, column = result.customer_at
        dup = Diagnostic(
            "error",
            "duplicate-customer",
            ("metadata", "customer"),
            line,
            column,
            f"customer '{customer}' is already defined in {first}",
        )
        return replace(
            result,
            subscription=None,
            data=None,
            diagnostics=sorted([*result.diagnostics, dup], key=Diagnostic.sort_key),
        )


def validate_files(
    files: list[Path],
    catalog_path: Path | None,
    capacity: int | None = None,
    workspace: Path | None = None,
    extra: tuple[SpecRule, ...] = (),
) -> ValidationReport:
    """Check ``files`` and gather a report.

    ``capacity``: how many servers a customer's subnet holds (unchecked when None).
    ``workspace``: where the specs' own files are (unchecked when None). ``extra``: rules
    beside the spec's own.
    """
    dupes = DuplicateCustomers()
    checked = check_files(files, catalog_path, workspace=workspace, extra=extra)
    results = [dupes.check(r) for r in checked]
    reports = [
        FileReport(r.path, r.customer, tuple(r.diagnostics))
        for r in check_across(results, capacity)
    ]
    return ValidationReport(tuple(reports))
