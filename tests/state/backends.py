"""The state on each back end: a SQLite file and a PostgreSQL database, read back plainly."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from asp_provision.state.url import PgUrl, StateLocation

BACKENDS = ["sqlite", "postgresql"]


def location(request: pytest.FixtureRequest, tmp_path: Path) -> StateLocation:
    """A new, empty state on the back end the test is parametrised with."""
    if request.param == "sqlite":
        return tmp_path / ".asp" / "state.db"
    return PgUrl(request.getfixturevalue("pg_url"))


def rows(state: StateLocation, query: str) -> list[tuple[Any, ...]]:
    """Rows of ``query``, read with the plain driver of the back end (not the state's code)."""
    if isinstance(state, PgUrl):
        import psycopg

        with psycopg.connect(state.url) as conn:
            return conn.execute(query).fetchall()
    conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def execute(state: StateLocation, statement: str) -> None:
    """Run ``statement`` with the plain driver, committed."""
    if isinstance(state, PgUrl):
        import psycopg

        with psycopg.connect(state.url, autocommit=True) as conn:
            conn.execute(statement)
        return
    conn = sqlite3.connect(state, isolation_level=None)
    try:
        conn.execute(statement)
    finally:
        conn.close()


def version(state: StateLocation) -> int:
    """The schema version the database is at."""
    if isinstance(state, PgUrl):
        return int(rows(state, "SELECT version FROM asp_schema")[0][0])
    return int(rows(state, "PRAGMA user_version")[0][0])
