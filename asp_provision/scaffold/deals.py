"""Many deals at once, from a CSV file: every row checked before any spec is written.

The header names the columns after the options of ``new`` (``contact-email``; case,
``_`` for ``-`` and spaces do not matter). Columns may come in any order, and optional
ones may be left out. Repeatable options (``admin``, ``allow-from``) take several
values in one cell, separated by spaces, ``,`` or ``;``. Problems are reported as
``DEALS.csv:LINE: column: message``, LINE counting the header as line 1.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asp_provision.errors import SourceError, UsageError, UserError
from asp_provision.scaffold.deal import BY_NAME, OPTIONS, DealInvalid, Problem, read_deal
from asp_provision.scaffold.files import (
    elsewhere,
    existing_customers,
    refuse_overwrite,
    remove_created,
    special_file,
    write_text,
)
from asp_provision.scaffold.new import NewSpec, conflicts, new_spec, spec_path
from asp_provision.scaffold.templates import Templates
from asp_provision.spec.across import Taken
from asp_provision.spec.batch import PARALLEL_FROM
from asp_provision.spec.catalog import load_catalog
from asp_provision.spec.rules import did_you_mean

MAX_DEALS = 100_000
"""More rows than this in one file are refused."""

_CHUNK = 32
_DELIMITERS = ",;\t"
_NORMALISE = re.compile(r"[\s_]+")


@dataclass(frozen=True, slots=True)
class DealRow:
    """One row of the file: its line, and its values by option name."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class DealsFile:
    """The rows of a deals file, and the header as written, by option name."""

    path: str
    columns: dict[str, str]
    rows: tuple[DealRow, ...]
    problems: tuple[SourceError, ...] = ()
    """Rows that are not deals at all (too many values)."""

    @property
    def count(self) -> int:
        """How many deals the file holds, good or bad."""
        return len(self.rows) + len(self.problems)


class DealsInvalid(UserError):
    """Rows of a deals file cannot become valid specs; none was written."""

    def __init__(self, path: str, problems: Sequence[SourceError], rows: int) -> None:
        self.path = path
        self.problems = tuple(sorted(problems, key=lambda p: p.line or 0))
        self.rows = rows
        bad = len({p.line for p in self.problems})
        if rows:
            self.summary = (
                f"{bad} of {rows} deal{'' if rows == 1 else 's'} in {path} "
                f"{'is' if bad == 1 else 'are'} invalid; no spec was written"
            )
        else:
            self.summary = f"{path} cannot be read as deals; no spec was written"
        super().__init__(self.summary)

    def __str__(self) -> str:
        return "\n".join([*(str(p) for p in self.problems), self.summary])


@dataclass(slots=True)
class Outcome:
    """What became of one row: a spec, or the problems that stop it."""

    line: int
    spec: NewSpec | None = None
    problems: list[Problem] = field(default_factory=list)
    failure: tuple[str, str, int | None] | None = None
    """A broken template: message, file, line (errors do not cross processes intact)."""


def column_name(header: str) -> str:
    """A header cell as an option name: ``Contact_Email`` -> ``contact-email``."""
    return _NORMALISE.sub("-", header.strip().lower())


def read_deals(path: Path) -> DealsFile:
    """Read a deals file; raise DealsInvalid when it cannot be read as deals at all."""
    name = str(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            content = fh.read()
    except UnicodeDecodeError:
        raise SourceError("the file is not UTF-8; save it as CSV UTF-8", name) from None
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    first = content.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    columns: list[str] = []
    header: list[str] = []
    rows: list[DealRow] = []
    problems: list[SourceError] = []
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(SourceError(f"not valid CSV: {exc}", name, line))
            raise DealsInvalid(name, problems, len(rows)) from None
        if line == 1:
            header = cells
            columns, problems = _header(cells, name)
            if problems:
                raise DealsInvalid(name, problems, 0)
        elif len(cells) > len(columns):
            problems.append(
                SourceError(
                    f"{len(cells)} values, but the header has {len(columns)} columns", name, line
                )
            )
        elif any(c.strip() for c in cells):
            rows.append(DealRow(line, dict(zip(columns, cells, strict=False))))
            if len(rows) > MAX_DEALS:
                raise UserError(f"{name} has more than {MAX_DEALS} deals; split it")
        line = reader.line_num + 1
    if not header:
        raise DealsInvalid(name, [SourceError("the file is empty; it needs a header", name)], 0)
    if not rows and not problems:
        raise UserError(f"{name} has a header but no deals")
    return DealsFile(name, dict(zip(columns, header, strict=True)), tuple(rows), tuple(problems))


def _header(cells: list[str], name: str) -> tuple[list[str], list[SourceError]]:
    columns = [column_name(c) for c in cells]
    problems: list[SourceError] = []
    known = [o.name for o in OPTIONS]
    seen: set[str] = set()
    for cell, column in zip(cells, columns, strict=True):
        if column not in BY_NAME:
            hint = did_you_mean(column, known) or f"; the columns are {', '.join(known)}"
            problems.append(SourceError(f"unknown column{hint}", name, 1, field=cell.strip()))
        elif column in seen:
            problems.append(SourceError("the column appears twice", name, 1, field=cell.strip()))
        seen.add(column)
    for option in OPTIONS:
        if option.required and option.name not in seen:
            problems.append(SourceError("a required column is missing", name, 1, field=option.name))
    return columns, problems


@dataclass(frozen=True, slots=True)
class DealSpecs:
    """A checked spec for every deal of a file, and the warnings, located like errors."""

    specs: tuple[NewSpec, ...]
    warnings: tuple[SourceError, ...]


def make_specs(
    deals: DealsFile,
    specs_dir: Path,
    templates_dir: Path | None,
    catalog_path: Path | None,
    force: bool = False,
    taken: Taken | None = None,
) -> DealSpecs:
    """A checked spec for every row; raise DealsInvalid listing every bad row's problems.

    Rows are checked in worker processes when there are many of them. ``taken``: the
    domains and accounts other customers hold already; rows may not claim them, nor
    claim what an earlier row does.
    """
    jobs = [
        (deals.rows[i : i + _CHUNK], specs_dir, templates_dir, catalog_path)
        for i in range(0, len(deals.rows), _CHUNK)
    ]
    workers = min(os.cpu_count() or 1, 8)
    outcomes: list[Outcome] = []
    if len(deals.rows) < PARALLEL_FROM or workers < 2:
        for job in jobs:
            outcomes.extend(_check_rows(job))
    else:
        from concurrent.futures import ProcessPoolExecutor

        # loaded once here, before the workers fork: a broken catalog or template fails
        # once, and each worker starts with both ready
        load_catalog(catalog_path)
        _templates_for(templates_dir).load_spec()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for chunk in pool.map(_check_rows, jobs):
                outcomes.extend(chunk)
    _check_together(outcomes, deals, force, specs_dir)
    _check_claims(outcomes, deals.path, taken or Taken())
    for outcome in outcomes:
        if outcome.failure is not None:
            message, where, line = outcome.failure
            raise SourceError(message, where, line)
    errors = [*deals.problems]
    errors.extend(
        SourceError(p.message, deals.path, o.line, field=_column(deals, p))
        for o in outcomes
        for p in o.problems
    )
    if errors:
        raise DealsInvalid(deals.path, errors, deals.count)
    warnings = [
        SourceError(w.message, deals.path, o.line, field=_column(deals, w))
        for o in outcomes
        if o.spec is not None
        for w in o.spec.warnings
    ]
    return DealSpecs(tuple(o.spec for o in outcomes if o.spec is not None), tuple(warnings))


def _column(deals: DealsFile, problem: Problem) -> str | None:
    if problem.option is None:
        return None
    return deals.columns.get(problem.option, problem.option)


def _check_together(
    outcomes: list[Outcome], deals: DealsFile, force: bool, specs_dir: Path
) -> None:
    """Rows naming the same customer, specs that exist already, paths that are not files."""
    first: dict[str, int] = {}
    existing = existing_customers(specs_dir)
    for outcome in outcomes:
        spec = outcome.spec
        if spec is None or spec.path is None:
            continue
        earlier = first.setdefault(spec.customer, outcome.line)
        if earlier != outcome.line:
            outcome.problems.append(
                Problem("customer", f"'{spec.customer}' is already the customer of line {earlier}")
            )
        elif (why := elsewhere(spec.customer, spec.path, existing, specs_dir)) is not None:
            outcome.problems.append(Problem("customer", why))
        elif special_file(spec.path) is not None or (not force and spec.path.exists()):
            try:
                refuse_overwrite(spec.path, force)
            except UsageError as exc:
                outcome.problems.append(Problem("customer", str(exc)))


def _check_claims(outcomes: list[Outcome], path: str, taken: Taken) -> None:
    """Rows claiming a domain or an account that a customer (or an earlier row) holds."""
    for outcome in outcomes:
        spec = outcome.spec
        if spec is None or spec.claims is None:
            continue
        if not outcome.problems:
            outcome.problems.extend(conflicts(spec, taken))
        taken.hold(spec.customer, f"{path}:{outcome.line}", spec.claims)


_Job = tuple[Sequence[DealRow], Path, Path | None, Path | None]
_templates: dict[Path | None, Templates] = {}


def _templates_for(folder: Path | None) -> Templates:
    templates = _templates.get(folder)
    if templates is None:
        templates = _templates[folder] = Templates(folder)
    return templates


def _check_rows(job: _Job) -> list[Outcome]:
    rows, specs_dir, templates_dir, catalog_path = job
    catalog = load_catalog(catalog_path)
    templates = _templates_for(templates_dir)
    out = []
    for row in rows:
        outcome = Outcome(row.line)
        try:
            deal = read_deal(row.values, catalog)
            outcome.spec = new_spec(deal, catalog, templates, spec_path(specs_dir, deal.customer))
        except DealInvalid as exc:
            outcome.problems.extend(exc.problems)
        except SourceError as exc:
            outcome.failure = (exc.message, exc.path, exc.line)
            out.append(outcome)
            break
        out.append(outcome)
    return out


def write_specs(specs: Sequence[NewSpec], force: bool = False) -> None:
    """Write specs checked by :func:`make_specs`; with ``force``, replacing existing ones.

    Each is written whole; when one cannot be written, the new files written before it
    are removed again (files it replaced stay replaced, each one whole).
    """
    created: list[Path] = []
    for spec in specs:
        if spec.path is None:
            continue
        new = not spec.path.exists()
        try:
            write_text(spec.path, spec.text, replace=force)
        except UserError as exc:
            remove_created(created)
            if created:
                raise type(exc)(
                    f"{exc}; the {len(created)} new spec(s) written before it were removed"
                ) from None
            raise
        if new:
            created.append(spec.path)
