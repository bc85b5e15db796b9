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
import filecmp
import heapq
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

try:
    from ansible.module_utils.asp_conversion_sources import (
        FORMATS,
        TYPES,
        Columns,
        ConversionError,
        CsvSource,
        HashingReader,
        JsonlSource,
        text_stream,
    )
except ImportError:  # imported from the folder itself (tests, benchmarks)
    from asp_conversion_sources import (  # type: ignore[no-redef]
        FORMATS,
        TYPES,
        Columns,
        ConversionError,
        CsvSource,
        HashingReader,
        JsonlSource,
        text_stream,
    )

__all__ = ["FORMATS", "TYPES", "ConversionError", "Outcome", "convert"]

TABLE = "converted_records"
REJECTS = "rejects.csv"
RECONCILIATION = "reconciliation.json"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    key  TEXT PRIMARY KEY,
    data TEXT NOT NULL
)
"""


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
        text = text_stream(hashing)
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
