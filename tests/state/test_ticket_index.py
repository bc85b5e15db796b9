"""The service-level report reads each customer's tickets from one index that holds the
columns it measures, on a new state and on one migrated from before the index."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from asp_provision.state.schema import MIGRATIONS, SCHEMA_VERSION
from asp_provision.state.sla import SlaReader, write_tickets
from asp_provision.state.store import StateReader, StateStore

_QUERY = (
    "SELECT created, first_response, resolved FROM tickets WHERE customer = ? AND "
    "priority = ? AND created >= ? AND created < ? ORDER BY created"
)


def _plan(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + _QUERY, ("a", "P1", 0.0, 1.0)).fetchall()
    return " ".join(str(r[-1]) for r in rows)


def _indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        found = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets' "
            "AND sql IS NOT NULL"
        ).fetchall()
    return {r[0] for r in found}


def test_a_new_state_reads_tickets_from_the_covering_index(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    StateStore(db).open().close()
    assert _indexes(db) == {"tickets_customer_priority"}
    assert "USING COVERING INDEX tickets_customer_priority" in _plan(db)


def test_a_state_from_before_the_index_gets_it_and_keeps_its_tickets(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    conn = sqlite3.connect(db, isolation_level=None)
    for version in range(1, 10):
        conn.execute("BEGIN")
        step = MIGRATIONS[version]
        if isinstance(step, str):
            for statement in step.split(";"):
                if statement.strip():
                    conn.execute(statement)
        else:
            step(conn)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    conn.execute(
        "INSERT INTO tickets VALUES ('T-1', 'acme-corp', 'P2', 'email', 20.0, 30.0, NULL, 0.0)"
    )
    conn.close()
    assert _indexes(db) == {"tickets_customer_created"}
    # a read of the older state sees the same tickets, and leaves the file as it is
    with SlaReader(StateReader(db)).open() as view:
        assert view.tickets("acme-corp", 0.0, 100.0) == {"P2": [(20.0, 30.0, None)]}
    assert _indexes(db) == {"tickets_customer_created"}
    with StateStore(db) as store:
        write_tickets(store, [("T-2", "acme-corp", "P2", None, 10.0, None, None)])
    assert _indexes(db) == {"tickets_customer_priority"}
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with SlaReader(StateReader(db)).open() as view:
        assert view.tickets("acme-corp", 0.0, 100.0) == {
            "P2": [(10.0, None, None), (20.0, 30.0, None)]
        }
