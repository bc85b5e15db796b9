"""Opening a PostgreSQL state for reading and for writing, as the SQLite file is opened.

A read sees one snapshot (a repeatable-read transaction). A state at an older schema
version is read through the migrations run inside that transaction and rolled back with
it: as on SQLite, only a write migrates the database itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, cast

import psycopg

from asp_provision.errors import StateError
from asp_provision.state.pg import PgConnection, PgStateError, connect, prepare, schema_version
from asp_provision.state.schema import SCHEMA_VERSION, migrate
from asp_provision.state.url import PgUrl

if TYPE_CHECKING:
    from pathlib import Path


def _foreign_tables(conn: PgConnection) -> list[str]:
    """Tables of a database that holds no state (none once another process made one)."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    if schema_version(conn):  # the state's own, made meanwhile: it commits them together
        return []
    return sorted(str(r[0]) for r in rows)


def _newer(url: PgUrl, version: int) -> StateError:
    return StateError(
        f"the state database {url} has schema version {version}, newer than this "
        f"asp-provision understands ({SCHEMA_VERSION}); upgrade asp-provision"
    )


@contextmanager
def reading(url: PgUrl, timeout: float) -> Iterator[sqlite3.Connection | None]:
    """A connection at the current schema in one read transaction; None for no state yet."""
    conn = PgConnection(connect(url, timeout, "asp-provision read"), timeout)
    try:
        version = schema_version(conn) or 0
        if version == 0:
            if _foreign_tables(conn):
                raise StateError(
                    f"the PostgreSQL database {url} holds tables, but not an asp-provision "
                    "state; it was left as it is: give the state a database (or a schema) "
                    "of its own"
                )
            yield None
            return
        if version > SCHEMA_VERSION:
            raise _newer(url, version)
        if version == SCHEMA_VERSION:
            conn.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield cast(sqlite3.Connection, conn)
            return
        conn.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        conn.nested = True
        migrate(cast(sqlite3.Connection, conn), cast("Path", url))
        yield cast(sqlite3.Connection, conn)
    except PgStateError as exc:
        raise exc.state_error(url, timeout) from None
    finally:
        with suppress(psycopg.Error):
            conn.close()


def open_store(url: PgUrl, timeout: float) -> sqlite3.Connection:
    """A connection for writing, the database created or migrated to the current schema."""
    conn = PgConnection(connect(url, timeout), timeout)
    try:
        if not schema_version(conn) and _foreign_tables(conn):
            raise StateError(
                f"the PostgreSQL database {url} holds tables, but not an asp-provision state; "
                "it was left as it is: give the state a database (or a schema) of its own"
            )
        prepare(conn)
        migrate(cast(sqlite3.Connection, conn), cast("Path", url))
    except PgStateError as exc:
        conn.close()
        raise exc.state_error(url, timeout) from None
    except BaseException:
        conn.close()
        raise
    return cast(sqlite3.Connection, conn)
