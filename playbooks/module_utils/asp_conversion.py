# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""Load a customer's records (CSV or JSON Lines) into the application's SQLite database.

The source is read once, record by record: each record is checked against the declared
column types, staged in a temporary table (so a key seen twice is caught without holding
the keys in memory), then merged into ``converted_records(key, data)`` in the same
transaction. ``data`` is the record as canonical JSON (sorted keys), so no column name
ever reaches SQL and an unchanged record compares equal as text.

Next to the database's folder the run leaves ``rejects.csv`` (source line, key, reason)
and ``reconciliation.json`` (read, loaded, updated, unchanged, rejected, sha256), each
written to a temporary file and renamed into place.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import filecmp
import hashlib
import heapq
import io
import itertools
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from urllib.parse import quote

TYPES = ("string", "integer", "decimal", "date", "email")
FORMATS = ("csv", "jsonl")
TABLE = "converted_records"
REJECTS = "rejects.csv"
RECONCILIATION = "reconciliation.json"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    key  TEXT PRIMARY KEY,
    data TEXT NOT NULL
)
"""

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


def _text(hashing: HashingReader) -> io.TextIOWrapper:
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

    def blocks(self, rejects: _Rejects, outcome: Outcome) -> Iterator[list[list[Any]]]:
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
        self, block: list[list[Any]], early: list[tuple[int, Any, str]], rejects: _Rejects
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
    text: IO[str], columns: Columns, rejects: _Rejects, outcome: Outcome
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

    def blocks(self, rejects: _Rejects, outcome: Outcome) -> Iterator[list[tuple[Any, ...]]]:
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


def first_line_columns(path: str, fmt: str) -> list[str]:
    """The columns a source offers: the CSV header, or the keys of the first JSON record."""
    with open(path, encoding="utf-8-sig", newline="") as text:
        if fmt == "csv":
            header = next(csv.reader(text, strict=True), None)
            if header is None:
                raise ConversionError("the file is empty: a CSV source starts with a header line")
            return header
        for line in text:
            if line.strip():
                value = json.loads(line, parse_float=_decimal_text, parse_constant=_no_constant)
                if not isinstance(value, dict):
                    raise ConversionError("the first record is not a JSON object")
                return list(value)
        raise ConversionError("the file holds no record")


# -- loading --------------------------------------------------------------------------


class Outcome:
    """What one conversion did (or, in check mode, would do)."""

    __slots__ = ("loaded", "read", "rejected", "sha256", "unchanged", "updated")

    def __init__(self) -> None:
        self.read = 0
        self.loaded = 0
        self.updated = 0
        self.unchanged = 0
        self.rejected = 0
        self.sha256 = ""

    def as_dict(self) -> dict[str, Any]:
        """The reconciliation, as written to reconciliation.json."""
        return {
            "read": self.read,
            "loaded": self.loaded,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "sha256": self.sha256,
        }

    @property
    def changed(self) -> bool:
        """True when the database gains or changes a record."""
        return bool(self.loaded or self.updated)


def _scratch() -> sqlite3.Connection:
    """A private database on disk (removed when closed) to stage the records in."""
    conn = sqlite3.connect("file:", uri=True, isolation_level=None)
    conn.execute("PRAGMA cache_size = -32768")  # 32 MB, whatever the record count
    conn.execute("PRAGMA journal_mode = MEMORY")  # scratch: nothing in it outlives the run
    conn.execute("PRAGMA synchronous = OFF")
    for statement in _STAGING:
        conn.execute(statement)
    return conn


def _attach(conn: sqlite3.Connection, path: str, check: bool) -> bool:
    """Attach the application's database as ``app``; False when check mode finds none."""
    absolute = os.path.abspath(path)
    if check:
        if not os.path.exists(absolute):
            return False
        conn.execute("ATTACH DATABASE ? AS app", ("file:" + quote(absolute) + "?mode=ro",))
    else:
        os.makedirs(os.path.dirname(absolute), exist_ok=True)
        conn.execute("ATTACH DATABASE ? AS app", ("file:" + quote(absolute),))
    conn.execute("PRAGMA app.cache_size = -32768")
    return True


_STAGING = (
    "CREATE TABLE incoming (key TEXT PRIMARY KEY, line INTEGER NOT NULL, data TEXT NOT NULL)"
    " WITHOUT ROWID",
    "CREATE TABLE duplicates (line INTEGER NOT NULL, key TEXT NOT NULL, first INTEGER)",
)
# a key staged before: noted with the line it was first seen on, and not staged again
# (in place only while a block that holds such a key is staged again)
_DUPLICATE_TRIGGER = """CREATE TRIGGER incoming_duplicate BEFORE INSERT ON incoming
    WHEN EXISTS (SELECT 1 FROM incoming WHERE key = NEW.key)
    BEGIN
        INSERT INTO duplicates (line, key, first)
        VALUES (NEW.line, NEW.key, (SELECT line FROM incoming WHERE key = NEW.key));
        SELECT RAISE(IGNORE);
    END"""


def _stage(conn: sqlite3.Connection, insert: str, block: list[Any]) -> None:
    """Stage a block; when one of its keys was staged before, again with the trigger."""
    conn.execute("SAVEPOINT block")
    try:
        conn.executemany(insert, block)
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO block")
        conn.execute(_DUPLICATE_TRIGGER)
        conn.executemany(insert, block)
        conn.execute("DROP TRIGGER incoming_duplicate")
    conn.execute("RELEASE block")


def _has_table(conn: sqlite3.Connection) -> bool:
    found = conn.execute(
        "SELECT 1 FROM app.sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    return found is not None


def _merge(conn: sqlite3.Connection, outcome: Outcome, attached: bool, check: bool) -> None:
    staged = conn.execute("SELECT count(*) FROM main.incoming").fetchone()[0]
    if check:
        existing = 0
        if attached and _has_table(conn):
            row = conn.execute(
                f"SELECT count(c.key), coalesce(sum(c.data != i.data), 0) FROM main.incoming i "
                f"LEFT JOIN app.{TABLE} c ON c.key = i.key"
            ).fetchone()
            existing, outcome.updated = int(row[0]), int(row[1])
        outcome.loaded = staged - existing
    else:
        conn.execute(SCHEMA.replace("EXISTS ", "EXISTS app.", 1))
        outcome.updated = conn.execute(
            f"UPDATE app.{TABLE} SET data = i.data FROM main.incoming AS i "
            f"WHERE {TABLE}.key = i.key AND {TABLE}.data != i.data"
        ).rowcount
        outcome.loaded = conn.execute(
            f"INSERT INTO app.{TABLE} (key, data) SELECT key, data FROM main.incoming "
            "WHERE true ON CONFLICT (key) DO NOTHING"
        ).rowcount
    outcome.unchanged = staged - outcome.loaded - outcome.updated


class _Rejects:
    """The records refused while reading, spooled to a temporary file in line order."""

    def __init__(self) -> None:
        self.count = 0
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.spool, lineterminator="\n")

    def add(self, line: int, key: Any, reason: str) -> None:
        self.count += 1
        self.writer.writerow((line, "" if key is None else _key_text(key), reason))

    def rows(self) -> Iterator[tuple[int, str, str]]:
        self.spool.seek(0)
        for line, key, reason in csv.reader(self.spool):
            yield int(line), key, reason

    def close(self) -> None:
        self.spool.close()


def _key_text(key: Any) -> str:
    text = key if isinstance(key, str) else json.dumps(key, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def _duplicates(conn: sqlite3.Connection) -> Iterator[tuple[int, str, str]]:
    query = "SELECT line, key, first FROM main.duplicates ORDER BY line"
    for line, key, first in conn.execute(query):
        yield line, key, f"duplicate key: first seen on line {first}"


def convert(
    source: str,
    fmt: str,
    key: str,
    fields: dict[str, str],
    database: str,
    folder: str | None,
    check: bool = False,
) -> Outcome:
    """Load ``source`` into ``database``; rejects and reconciliation go into ``folder``.

    In check mode nothing is written: the outcome says what a run would do. Raises
    ConversionError when the source cannot be read as a whole (missing, not UTF-8, a
    header without a declared column); the database and the folder are then untouched.
    """
    if fmt not in FORMATS:
        raise ConversionError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    unknown = sorted(set(fields.values()) - set(TYPES))
    if unknown:
        raise ConversionError(f"type {unknown[0]!r} is not one of {', '.join(TYPES)}")
    if key not in fields:
        raise ConversionError(f"the key {key!r} is not one of the declared fields")
    columns = Columns(fields, key)
    try:
        raw = open(source, "rb")  # noqa: SIM115 - closed below, after the hash is drained
    except OSError as exc:
        raise ConversionError(f"cannot read {source}: {exc.strerror or exc}") from None
    outcome = Outcome()
    rejects = _Rejects()
    staged_rejects = ""
    conn = _scratch()
    try:
        hashing = HashingReader(raw)
        text = _text(hashing)
        source_: CsvSource | JsonlSource = (
            CsvSource(text, columns) if fmt == "csv" else JsonlSource(text, columns)
        )
        conn.execute("BEGIN")
        for block in source_.blocks(rejects, outcome):
            _stage(conn, source_.insert, block)
        conn.execute("COMMIT")
        outcome.sha256 = hashing.drain()
        duplicates = conn.execute("SELECT count(*) FROM main.duplicates").fetchone()[0]
        outcome.rejected = rejects.count + duplicates
        attached = _attach(conn, database, check)
        conn.execute("BEGIN IMMEDIATE" if attached and not check else "BEGIN")
        _merge(conn, outcome, attached, check)
        if not check and folder is not None:
            os.makedirs(folder, exist_ok=True)
            rows = heapq.merge(rejects.rows(), _duplicates(conn))
            staged_rejects = _spool_csv(folder, REJECTS, ("line", "key", "reason"), rows)
        conn.execute("ROLLBACK" if check else "COMMIT")
    except UnicodeDecodeError as exc:
        _abandon(conn, staged_rejects)
        raise ConversionError(f"the file is not UTF-8 text: {exc.reason}") from None
    except OSError as exc:
        _abandon(conn, staged_rejects)
        raise ConversionError(f"cannot read or write: {exc.strerror or exc}") from None
    except BaseException:
        _abandon(conn, staged_rejects)
        raise
    finally:
        raw.close()
        conn.close()
        rejects.close()
    if not check and folder is not None:
        _replace_if_different(staged_rejects, os.path.join(folder, REJECTS))
        write_atomically(
            os.path.join(folder, RECONCILIATION),
            json.dumps(outcome.as_dict(), indent=2, sort_keys=True) + "\n",
        )
    return outcome


def _replace_if_different(staged: str, path: str) -> None:
    """Move ``staged`` to ``path``, or drop it when ``path`` already holds the same bytes."""
    if os.path.exists(path) and filecmp.cmp(staged, path, shallow=False):
        os.unlink(staged)
    else:
        os.replace(staged, path)


def _abandon(conn: sqlite3.Connection, staged: str) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    if staged:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)


def _spool_csv(
    folder: str, name: str, header: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> str:
    """Write a CSV file beside ``name`` in ``folder``; returns the temporary path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def write_atomically(path: str, text: str) -> bool:
    """Write ``text`` to ``path`` through a temporary file; False when it was already so."""
    try:
        with open(path, encoding="utf-8", newline="") as current:
            if current.read() == text:
                return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".asp-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True
