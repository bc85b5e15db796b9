"""Tickets and outages read from CSV files: every row checked, all or nothing.

Three ticket formats map to the same fields (id, customer, priority, channel, created,
first_response, resolved): the plain CSV, and the standard CSV exports of Zendesk and
Jira Service Management. Times are ISO 8601 with an offset; a time without one is an
error, since it could be any of many instants.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from asp_provision.csvrows import CsvRows
from asp_provision.errors import UserError, position
from asp_provision.state.sla import OutageRow, TicketRow

FORMATS = ("csv", "zendesk", "jira")

# field -> the column names that may hold it, per format (first found wins)
TICKET_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "csv": {
        "id": ("id",),
        "customer": ("customer",),
        "priority": ("priority",),
        "channel": ("channel",),
        "created": ("created",),
        "first_response": ("first_response",),
        "resolved": ("resolved",),
    },
    "zendesk": {
        "id": ("Id", "ID"),
        "customer": ("Organization",),
        "priority": ("Priority",),
        "channel": ("Via",),
        "created": ("Created at",),
        "first_response": ("First reply time in minutes",),
        "resolved": ("Solved at",),
    },
    "jira": {
        "id": ("Issue key",),
        "customer": ("Custom field (Organizations)", "Organizations"),
        "priority": ("Priority",),
        "channel": ("Custom field (Source)", "Source"),
        "created": ("Created",),
        "first_response": ("Custom field (First response)", "First response"),
        "resolved": ("Resolved",),
    },
}
_REQUIRED = ("id", "customer", "priority", "created")
_OPTIONAL_IN_EXPORTS = ("channel", "first_response", "resolved")

PRIORITY_NAMES: dict[str, dict[str, str]] = {
    "csv": {"p1": "P1", "p2": "P2", "p3": "P3", "p4": "P4"},
    "zendesk": {"urgent": "P1", "high": "P2", "normal": "P3", "low": "P4"},
    "jira": {"highest": "P1", "high": "P2", "medium": "P3", "low": "P4", "lowest": "P4"},
}
_TRUE = {"true", "yes", "1", "planned"}
_FALSE = {"false", "no", "0", "", "unplanned"}
_SPACE_OFFSET = re.compile(r"\s+(?=[+-]\d\d:?\d\d$)")


@dataclass(frozen=True, slots=True)
class Problem:
    """A bad value in an import file, located."""

    path: str
    line: int
    column: int | None
    message: str

    def __str__(self) -> str:
        return f"{position(self.path, self.line, self.column)}: {self.message}"


class ImportInvalid(UserError):
    """An import file has bad rows; nothing of it was imported."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.problems = problems
        shown = [str(p) for p in problems[:50]]
        if len(problems) > 50:
            shown.append(f"... and {len(problems) - 50} more")
        plural = "s" if len(problems) != 1 else ""
        shown.append(f"{len(problems)} problem{plural} in {path}; nothing was imported")
        super().__init__("\n".join(shown))


Customers = Mapping[str, str]
"""Known customers: slug, and display name lowercased, -> slug."""


class _Rows:
    """Reads a CSV file's rows with the column of each field, noting problems."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.problems: list[Problem] = []
        self.csv = CsvRows(path)
        self.header = self.csv.header

    def filled_rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each row that is not blank, with its line; a row of the wrong width is a problem."""

        def wrong_width(line: int, values: int) -> None:
            self.fail(line, None, f"{values} values, but the header has {len(self.header)} columns")

        for row in self.csv.rows(wrong_width):
            yield row.line, row.cells

    def fail(self, line: int, column: int | None, message: str) -> None:
        self.problems.append(Problem(self.path, line, column, message))

    def columns(
        self, wanted: Mapping[str, tuple[str, ...]], required: tuple[str, ...]
    ) -> dict[str, int]:
        found: dict[str, int] = {}
        for field, names in wanted.items():
            for name in names:
                if name in self.header:
                    found[field] = self.header.index(name)
                    break
            else:
                if field in required:
                    self.fail(1, None, f"no column {' or '.join(repr(n) for n in names)} ({field})")
        return found


def _instant(text: str) -> float:
    value = dt.datetime.fromisoformat(_SPACE_OFFSET.sub("", text.strip()))
    if value.tzinfo is None or value.utcoffset() is None:
        raise LookupError
    return value.timestamp()


def read_tickets(path: Path, fmt: str, customers: Customers) -> list[TicketRow]:
    """Every ticket of ``path``; ImportInvalid naming every bad value."""
    if fmt not in FORMATS:
        raise UserError(f"unknown ticket format {fmt!r}; use {', '.join(FORMATS)}")
    r = _Rows(path)
    required = _REQUIRED if fmt != "csv" else tuple(TICKET_COLUMNS["csv"])
    cols = r.columns(TICKET_COLUMNS[fmt], required)
    if r.problems:
        raise ImportInvalid(r.path, r.problems)
    names = PRIORITY_NAMES[fmt]
    out: list[TicketRow] = []
    seen: dict[str, int] = {}
    for line, row in r.filled_rows():

        def cell(field: str, row: list[str] = row) -> str:
            return row[cols[field]].strip() if field in cols else ""

        def col(field: str) -> int | None:
            return cols[field] + 1 if field in cols else None

        def when(field: str, line: int = line, cell: Callable[[str], str] = cell) -> float | None:
            value = cell(field)
            if not value:
                return None
            try:
                return _instant(value)
            except LookupError:
                r.fail(
                    line,
                    col(field),
                    f"{field}: '{value}' has no UTC offset; write it as "
                    "2026-11-06T17:30:00+01:00 (or Z for UTC)",
                )
            except ValueError:
                r.fail(
                    line,
                    col(field),
                    f"{field}: '{value}' is not an ISO 8601 time such as 2026-11-06T17:30:00+01:00",
                )
            return None

        ticket = cell("id")
        if not ticket:
            r.fail(line, col("id"), "id: empty")
        elif ticket in seen:
            r.fail(line, col("id"), f"id: '{ticket}' is on line {seen[ticket]} already")
        seen.setdefault(ticket, line)
        given = cell("customer")
        customer = customers.get(given) or customers.get(given.lower())
        if customer is None:
            r.fail(
                line,
                col("customer"),
                f"customer: unknown customer '{given}'; give a "
                "customer's slug or name as its spec says",
            )
        raw_priority = cell("priority")
        priority = names.get(raw_priority.lower())
        if priority is None:
            r.fail(
                line,
                col("priority"),
                f"priority: unknown priority '{raw_priority}'; expected {_priority_names(fmt)}",
            )
        created = when("created")
        if created is None and cell("created") == "":
            r.fail(line, col("created"), "created: empty; every ticket has a creation time")
        if fmt == "zendesk":
            first = _minutes_after(r, line, col("first_response"), created, cell("first_response"))
        else:
            first = when("first_response")
        resolved = when("resolved")
        if created is not None:
            for field, value in (("first_response", first), ("resolved", resolved)):
                if value is not None and value < created:
                    r.fail(
                        line,
                        col(field),
                        f"{field}: {cell(field)} is before the ticket was "
                        f"created ({cell('created')})",
                    )
        if r.problems or customer is None or priority is None or created is None:
            continue
        out.append((ticket, customer, priority, cell("channel") or None, created, first, resolved))
    if r.problems:
        raise ImportInvalid(r.path, r.problems)
    if not out:
        raise UserError(f"{path} has a header but no tickets")
    return out


def _priority_names(fmt: str) -> str:
    shown = (k.upper() if fmt == "csv" else k.title() for k in PRIORITY_NAMES[fmt])
    return ", ".join(dict.fromkeys(shown))


def _minutes_after(
    r: _Rows, line: int, column: int | None, created: float | None, value: str
) -> float | None:
    if not value:
        return None
    try:
        minutes = float(value)
    except ValueError:
        minutes = -1.0
    if minutes < 0:
        r.fail(line, column, f"first_response: '{value}' is not a number of minutes")
        return None
    return None if created is None else created + minutes * 60


def read_outages(path: Path, customers: Customers) -> list[OutageRow]:
    """Every outage of ``path`` (customer,start,end,planned); ImportInvalid on any bad value."""
    r = _Rows(path)
    fields = ("customer", "start", "end", "planned")
    cols = r.columns({f: (f,) for f in fields}, fields[:3])
    if r.problems:
        raise ImportInvalid(r.path, r.problems)
    out: list[OutageRow] = []
    seen: dict[tuple[str, float], int] = {}
    for line, row in r.filled_rows():

        def cell(field: str, row: list[str] = row) -> str:
            return row[cols[field]].strip() if field in cols else ""

        given = cell("customer")
        customer = customers.get(given) or customers.get(given.lower())
        if customer is None:
            r.fail(line, cols["customer"] + 1, f"customer: unknown customer '{given}'")
        times: dict[str, float] = {}
        for field in ("start", "end"):
            value = cell(field)
            try:
                times[field] = _instant(value)
            except LookupError:
                r.fail(
                    line,
                    cols[field] + 1,
                    f"{field}: '{value}' has no UTC offset; write it "
                    "as 2026-11-06T17:30:00+01:00 (or Z for UTC)",
                )
            except ValueError:
                r.fail(
                    line,
                    cols[field] + 1,
                    f"{field}: '{value}' is not an ISO 8601 time such as 2026-11-06T17:30:00+01:00",
                )
        if len(times) == 2 and times["end"] <= times["start"]:
            r.fail(
                line,
                cols["end"] + 1,
                f"end: {cell('end')} is not after the start ({cell('start')})",
            )
        planned_text = cell("planned").lower()
        if planned_text not in _TRUE | _FALSE:
            r.fail(line, cols["planned"] + 1, f"planned: '{cell('planned')}' is not true or false")
        if customer is not None and "start" in times:
            key = (customer, times["start"])
            if key in seen:
                r.fail(
                    line,
                    cols["start"] + 1,
                    f"start: the outage of line {seen[key]} starts then too",
                )
            seen.setdefault(key, line)
        if r.problems or customer is None or len(times) != 2:
            continue
        out.append((customer, times["start"], times["end"], planned_text in _TRUE))
    if r.problems:
        raise ImportInvalid(r.path, r.problems)
    if not out:
        raise UserError(f"{path} has a header but no outages")
    return out
