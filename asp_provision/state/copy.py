"""Moving a state between SQLite and PostgreSQL (either way), verified by counting every table.

The source is read in one transaction, at the current schema (an older one is read through
its migrations, as any read is), and is never changed. The destination is created and
migrated first; it must hold no state unless it is to be replaced. Every row is written in
one transaction, so a copy that fails leaves the destination as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asp_provision.errors import StateError, UsageError
from asp_provision.state.store import StateReader, StateStore
from asp_provision.state.url import PgUrl, StateLocation, is_url

_SKIP = frozenset({"sqlite_sequence", "asp_schema"})
_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Copied:
    """The rows of every table, counted in the source and in the destination."""

    source: StateLocation
    destination: StateLocation
    counts: dict[str, int]


def _tables(conn: Any) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return sorted(str(r[0]) for r in rows if str(r[0]) not in _SKIP)


def _counts(conn: Any, tables: list[str]) -> dict[str, int]:
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}


def _references_first(conn: Any, tables: list[str]) -> list[str]:
    """``tables`` with each one another refers to (a foreign key) before it."""
    order = list(tables)
    if not is_url_conn(conn):
        return order  # SQLite checks no foreign keys unless asked
    pairs = conn.raw.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
    ).fetchall()
    for child, parent in pairs:
        if child in order and parent in order and order.index(parent) > order.index(child):
            order.remove(parent)
            order.insert(order.index(child), parent)
    return order


def is_url_conn(conn: Any) -> bool:
    return hasattr(conn, "raw")


def _rows(conn: Any, table: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    cursor = conn.execute(f"SELECT * FROM {table}")
    return [str(d[0]) for d in cursor.description], iter(cursor)


def _empty(store: StateStore, tables: list[str]) -> bool:
    with store.transaction(serial=False) as conn:
        counts = _counts(conn, [t for t in tables if t != "meta"])
        serial = conn.execute("SELECT value FROM meta WHERE key = 'serial'").fetchone()
    return not any(counts.values()) and (serial is None or int(serial[0]) == 0)


def _clear_sqlite(path: Path) -> None:
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        with suppress(FileNotFoundError):
            (path.parent / name).unlink()


def copy_state(source: StateLocation, destination: StateLocation, replace: bool) -> Copied:
    """Copy every table of ``source`` into ``destination``; the rows counted on both sides."""
    if source == destination:
        raise UsageError("the state would be copied onto itself: give another destination")
    if not is_url(source) and not Path(str(source)).is_file():
        raise UsageError(f"no state to copy at {source}: no such file")
    reader = StateReader(source)
    with reader._reading() as read:
        if read is None:
            raise UsageError(f"no state to copy at {source}: it holds no state yet")
        tables = _tables(read)
        expected = _counts(read, tables)
        if replace and not is_url(destination):
            _clear_sqlite(Path(str(destination)))
        store = StateStore(destination)
        try:
            store.open()
            if not _empty(store, tables):
                if not replace:
                    raise UsageError(
                        f"{destination} already holds a state: copy into an empty one, or "
                        "give --replace to replace it"
                    )
                with store.transaction(serial=False) as conn:
                    conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
            _write(store, read, tables)
            with store.transaction(serial=False) as conn:
                found = _counts(conn, tables)
        finally:
            store.close()
    if found != expected:
        wrong = ", ".join(
            f"{t}: {expected[t]} read, {found.get(t)} written"
            for t in tables
            if found.get(t) != expected[t]
        )
        raise StateError(f"the copy of {source} to {destination} is incomplete ({wrong})")
    return Copied(source, destination, expected)


def _write(store: StateStore, read: sqlite3.Connection, tables: list[str]) -> None:
    with store.transaction(serial=False) as conn:
        conn.execute("DELETE FROM meta")  # the new state's own serial, replaced by the source's
        for table in _references_first(conn, tables):
            columns, rows = _rows(read, table)
            insert = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(tuple(row))
                if len(batch) >= _BATCH:
                    conn.executemany(insert, batch)
                    batch = []
            if batch:
                conn.executemany(insert, batch)
            if is_url_conn(conn) and "id" in columns:
                _identity_after(conn, table)


def _identity_after(conn: Any, table: str) -> None:
    """An identity column of ``table`` goes on from the highest id copied."""
    sequence = conn.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')").fetchone()[0]
    if sequence:
        conn.execute(
            f"SELECT setval('{sequence}', (SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
        )


def parse(value: str) -> StateLocation:
    """A state named on the command line: a postgresql:// URL, or a file."""
    if is_url(value):
        try:
            return PgUrl(value)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return Path(value).resolve()
