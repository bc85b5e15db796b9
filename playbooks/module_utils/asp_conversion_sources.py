# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""The sources of a data conversion: reading CSV or JSON Lines, and checking each value.

A CSV source is read in blocks of records: a column's values in a block are checked by
one regular expression over the block, and a good row is staged as it was read (the
insert picks the declared columns by position). A JSON Lines source is checked record
by record. Either way a bad record goes to the rejects with its line and the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

TYPES = ("string", "integer", "decimal", "date", "email")
FORMATS = ("csv", "jsonl")

# what a value of each type looks like; none of them matches a line break, so a block of
# values joined by line breaks is checked by one match (see _block_check)
_PATTERNS = {
    "integer": r"[+-]?[0-9]{1,18}",
    "decimal": r"[+-]?(?:[0-9]{1,28}(?:\.[0-9]{0,10})?|\.[0-9]{1,10})",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    # one @, no spaces, a dotted domain of letters, digits and hyphens
    "email": r"[^@\s\"(),:;<>\[\]\\]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,63}",
}
_LONGEST = {"integer": 19, "decimal": 40, "date": 10, "email": 254}
_INTEGER, _DECIMAL, _DATE, _EMAIL = (
    re.compile(_PATTERNS[kind] + r"\Z") for kind in ("integer", "decimal", "date", "email")
)
_CHUNK = 1 << 20
_BLOCK = 4096  # records checked and staged together


class ConversionError(Exception):
    """The source cannot be read at all (as opposed to a record that is rejected)."""


class BadValue(ValueError):
    """One value does not fit its column's type."""


# -- values ---------------------------------------------------------------------------


def _string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadValue("is not text")
    return str(value)


def _integer(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.match(value) and len(value) <= 20:
        return int(value)
    raise BadValue("is not an integer")


def _decimal(value: Any) -> Any:
    # kept as text: the exact digits the customer gave, with no binary rounding
    text = value if isinstance(value, str) else None
    if (isinstance(value, int) and not isinstance(value, bool)) or hasattr(value, "as_tuple"):
        text = str(value)  # a JSON number: an integer, or a fraction kept as its text
    if text is None or not _DECIMAL.match(text) or len(text) > 40:
        raise BadValue("is not a decimal number such as 1234.50")
    return text


def _date(value: Any) -> Any:
    if not isinstance(value, str) or not _DATE.match(value):
        raise BadValue("is not a date written YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise BadValue("is not a real date") from None
    return value


def _email(value: Any) -> Any:
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.match(value):
        raise BadValue("is not an e-mail address such as name@example.com")
    return value


CHECKS: dict[str, Callable[[Any], Any]] = {
    "string": _string,
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "email": _email,
}


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _sql_text(name: str) -> str:
    """``name`` as an SQL string literal (SQLite has no escapes but the doubled quote)."""
    return "'" + name.replace("'", "''") + "'"


class Columns:
    """The declared columns, in name order, and the statement that stages a record.

    A record's parameters are ``(key, line, value, ...)`` in name order. The record is
    stored as ``json_object(name, value, ...)``: an empty value is null, an integer
    column's text becomes a JSON number; names appear only as quoted literals.
    """

    def __init__(self, fields: dict[str, str], key: str) -> None:
        self.names = sorted(fields)
        self.kinds = [fields[n] for n in self.names]
        self.key_at = self.names.index(key)
        self.key = key
        self.key_kind = fields[key]
        self.insert = self.statement("?1", "?2", range(3, 3 + len(self.names)))

    def statement(self, key: str, line: str, values: Iterable[int]) -> str:
        """The insert of one record, given the parameters of its key, line and values."""
        parts = []
        for name, kind, number in zip(self.names, self.kinds, values, strict=True):
            value = f"nullif(?{number}, '')"
            if kind == "integer":
                value = f"CAST({value} AS INTEGER)"
            parts.append(f"{_sql_text(name)}, {value}")
        return (
            "INSERT INTO main.incoming (key, line, data) "
            f"VALUES ({key}, {line}, json_object({', '.join(parts)}))"
        )

    def key_text(self, value: Any) -> str:
        """The stored key of a checked key value (an integer key without its zeros)."""
        if self.key_kind == "integer":
            return str(int(value))
        return str(value)


def _bad(name: str, value: Any, why: str) -> BadValue:
    return BadValue(f"{name}: {_shown(value)} {why}")


def _text_check(kind: str) -> Callable[[str], str | None]:
    """Why a CSV cell (text, not empty) is not a value of ``kind``, or None when it is."""
    why = _WHY[kind]
    if kind == "date":
        return _why_not_date
    pattern = {"integer": _INTEGER, "decimal": _DECIMAL, "email": _EMAIL}[kind].match
    longest = _LONGEST[kind]
    return lambda v: None if len(v) <= longest and pattern(v) is not None else why


def _block_check(kind: str) -> Callable[[list[str]], bool]:
    """Whether every cell of a column's block (empty or) is a value of ``kind``.

    One regular expression runs over the block joined by line breaks; a cell holding a
    line break is caught by counting them (the cell is then checked on its own).
    """
    one = f"(?:{_PATTERNS[kind]})?"
    block = re.compile(f"{one}(?:\n{one})*\\Z").match
    longest = _LONGEST[kind]
    is_date = kind == "date"

    def check(values: list[str]) -> bool:
        text = "\n".join(values)
        if text.count("\n") != len(values) - 1 or block(text) is None:
            return False
        if max(map(len, values)) > longest:
            return False
        if is_date:
            try:
                list(map(dt.date.fromisoformat, filter(None, values)))
            except ValueError:
                return False
        return True

    return check


def _why_not_date(value: str) -> str | None:
    if not _DATE.match(value):
        return _WHY["date"]
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return "is not a real date"
    return None


_WHY = {
    "integer": "is not an integer",
    "decimal": "is not a decimal number such as 1234.50",
    "date": "is not a date written YYYY-MM-DD",
    "email": "is not an e-mail address such as name@example.com",
}


# -- reading --------------------------------------------------------------------------


class HashingReader(io.RawIOBase):
    """A binary file whose bytes are hashed (SHA-256) as they are read."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.sha256.update(data)
        return size

    def drain(self) -> str:
        """Hash what is left unread; the hex digest of the whole file."""
        while True:
            data = self.raw.read(_CHUNK)
            if not data:
                return self.sha256.hexdigest()
            self.sha256.update(data)


def text_stream(hashing: HashingReader) -> io.TextIOWrapper:
    """The source as text (UTF-8, a BOM skipped, line ends kept for the CSV reader)."""
    return io.TextIOWrapper(
        io.BufferedReader(hashing, _CHUNK), encoding="utf-8-sig", errors="strict", newline=""
    )


class CsvSource:
    """A CSV file with a header, read in blocks of records checked together.

    A good record is staged as its row itself, with its line appended: the statement
    picks the declared columns by position, so no value is copied in Python.
    """

    def __init__(self, text: IO[str], columns: Columns) -> None:
        self.reader = csv.reader(text, strict=True)
        try:
            header = next(self.reader, None)
        except csv.Error as exc:
            raise ConversionError(f"line 1: the header cannot be read: {exc}") from None
        if header is None:
            raise ConversionError("the file is empty: a CSV source starts with a header line")
        missing = [c for c in columns.names if c not in header]
        if missing:
            raise ConversionError(f"the header has no column {', '.join(map(repr, missing))}")
        self.columns = columns
        self.width = len(header)
        self.at = [header.index(c) for c in columns.names]
        self.key_index = self.at[columns.key_at]
        self.typed = [
            (self.at[j], name, _text_check(kind), _block_check(kind))
            for j, (name, kind) in enumerate(zip(columns.names, columns.kinds, strict=True))
            if kind != "string"
        ]
        key = f"?{self.key_index + 1}"
        if columns.key_kind == "integer":
            key = f"CAST(CAST({key} AS INTEGER) AS TEXT)"
        self.insert = columns.statement(key, f"?{self.width + 1}", [i + 1 for i in self.at])

    def blocks(self, rejects: Any, outcome: Any) -> Iterator[list[list[Any]]]:
        """The good records, block by block; bad ones go to ``rejects``.

        A record's line is the line it starts on (a quoted value may span lines); blank
        lines are skipped.
        """
        reader, width = self.reader, self.width
        block: list[list[Any]] = []
        early: list[tuple[int, Any, str]] = []  # rejected before the block's checks
        add = early.append
        end = reader.line_num
        read = 0
        try:
            while True:
                start = end + 1
                try:
                    row: list[Any] = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    end = reader.line_num
                    read += 1
                    add((start, None, f"the line cannot be read as CSV: {exc}"))
                    continue
                end = reader.line_num
                if not row:
                    continue  # a blank line
                read += 1
                if len(row) != width:
                    key = row[self.key_index] if self.key_index < len(row) else None
                    add((start, key, f"{len(row)} values where the header has {width}"))
                    continue
                row.append(start)
                block.append(row)
                if len(block) == _BLOCK:
                    yield self._good(block, early, rejects)
                    block, early = [], []
                    add = early.append
            if block or early:
                yield self._good(block, early, rejects)
        finally:
            outcome.read = read

    def _good(
        self, block: list[list[Any]], early: list[tuple[int, Any, str]], rejects: Any
    ) -> list[list[Any]]:
        """The good rows of ``block``; the bad ones, and ``early``, go to ``rejects`` in order."""
        bad: dict[int, str] = {}
        for i, name, check, check_block in self.typed:
            values = [row[i] for row in block]
            if check_block(values):
                continue
            for n, value in enumerate(values):
                if value and n not in bad:
                    why = check(value)
                    if why is not None:
                        bad[n] = f"{name}: {_shown(value)} {why}"
        k = self.key_index
        if not all(row[k] for row in block):
            for n, row in enumerate(block):
                if not row[k]:
                    bad.setdefault(n, f"{self.columns.key}: the key is missing")
        if not bad and not early:
            return block
        refused = early + [(block[n][-1], block[n][k] or None, bad[n]) for n in bad]
        for line, key, reason in sorted(refused, key=lambda r: r[0]):
            rejects.add(line, key, reason)
        return [row for n, row in enumerate(block) if n not in bad]


def jsonl_params(
    text: IO[str], columns: Columns, rejects: Any, outcome: Any
) -> Iterator[tuple[Any, ...]]:
    """The staging parameters of each good record of a JSON Lines file.

    One object per line; blank lines are skipped. The columns of the first record are
    checked against the declared ones, as a header would be.
    """
    first = True
    names = columns.names
    checks = [CHECKS[kind] for kind in columns.kinds]
    read = 0
    try:
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            read += 1
            try:
                record = json.loads(line, parse_float=_decimal_text, parse_constant=_no_constant)
            except ValueError as exc:
                rejects.add(number, None, f"the line is not JSON: {exc}")
                continue
            if not isinstance(record, dict):
                rejects.add(number, None, "the line is not a JSON object")
                continue
            if first:
                first = False
                missing = [c for c in names if c not in record]
                if missing:
                    raise ConversionError(
                        f"line {number}: the first record has no column "
                        f"{', '.join(map(repr, missing))}"
                    )
            key = record.get(columns.key)
            try:
                values = [
                    _typed(name, check, record.get(name))
                    for name, check in zip(names, checks, strict=True)
                ]
            except BadValue as exc:
                rejects.add(number, key, str(exc))
                continue
            if values[columns.key_at] is None:
                rejects.add(number, None, f"{columns.key}: the key is missing")
                continue
            yield (columns.key_text(values[columns.key_at]), number, *values)
    finally:
        outcome.read = read


class JsonlSource:
    """A JSON Lines file, its records checked one by one and staged in blocks."""

    def __init__(self, text: IO[str], columns: Columns) -> None:
        self.text = text
        self.columns = columns
        self.insert = columns.insert

    def blocks(self, rejects: Any, outcome: Any) -> Iterator[list[tuple[Any, ...]]]:
        """The good records' parameters, block by block; bad ones go to ``rejects``."""
        records = jsonl_params(self.text, self.columns, rejects, outcome)
        while True:
            block = list(itertools.islice(records, _BLOCK))
            if not block:
                return
            yield block


def _typed(name: str, check: Callable[[Any], Any], value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        return check(value)
    except BadValue as exc:
        raise _bad(name, value, str(exc)) from None


class _DecimalText(str):
    """A JSON number with a fraction, kept as its text."""

    def as_tuple(self) -> None:
        """Marks the value as a number read from JSON (see ``_decimal``)."""


def _decimal_text(text: str) -> _DecimalText:
    return _DecimalText(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")
