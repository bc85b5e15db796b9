"""Customers' phases in a real SQLite state: the migration that gives them, append-only rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from asp_provision.run.apply import gone_live
from asp_provision.state import phases
from asp_provision.state.schema import MIGRATIONS, SCHEMA_VERSION
from asp_provision.state.store import StateReader, StateStore

PROVISIONING = (
    "network",
    "servers",
    "platform",
    "security",
    "application",
    "users",
    "billing",
    "reporting",
    "verify",
)


def rows(path: Path, query: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def _at_version(path: Path, version: int) -> sqlite3.Connection:
    """A state file as this version of the schema made it."""
    conn = sqlite3.connect(path, isolation_level=None)
    for number in range(1, version + 1):
        step = MIGRATIONS[number]
        if isinstance(step, str):
            conn.executescript(step)
        else:
            step(conn)
    conn.execute(f"PRAGMA user_version = {version}")
    return conn


def _applied(conn: sqlite3.Connection, customer: str, steps: dict[str, str], start: float) -> None:
    """``customer`` with ``steps`` (step -> applied | failed), a second apart from ``start``."""
    conn.execute(
        "INSERT INTO customers (customer, spec_json, updated_at) VALUES (?, '{}', ?)",
        (customer, start),
    )
    for i, (step, status) in enumerate(steps.items()):
        at = start + i
        applied = status == "applied"
        conn.execute(
            "INSERT INTO steps (customer, step, status, input_hash, updated_at, run_id) "
            "VALUES (?, ?, ?, ?, ?, 'r1')",
            (customer, step, status, "h" if applied else None, at),
        )
        conn.execute(
            "INSERT INTO step_results (customer, step, run_id, result, at) "
            "VALUES (?, ?, 'r1', ?, ?)",
            (customer, step, status, at),
        )


@pytest.fixture
def v9(tmp_path: Path) -> Path:
    """A state of schema version 9 with four customers, each at another point."""
    db = tmp_path / "state.db"
    conn = _at_version(db, 9)
    every = dict.fromkeys([*PROVISIONING, "acceptance", "go_live"], "applied")
    _applied(conn, "live-one", every, 1000.0)
    waiting = dict.fromkeys([*PROVISIONING, "acceptance"], "applied")
    _applied(conn, "waiting-one", waiting, 2000.0)
    # applied before the onboarding steps existed: no trace of any of them
    _applied(conn, "legacy-one", dict.fromkeys(PROVISIONING, "applied"), 3000.0)
    _applied(conn, "failed-one", {"network": "applied", "servers": "failed"}, 4000.0)
    conn.close()
    return db


def test_the_migration_gives_applied_customers_their_phase(v9: Path) -> None:
    StateStore(v9).open().close()
    assert rows(v9, "PRAGMA user_version") == [(SCHEMA_VERSION,)] == [(12,)]
    found = rows(v9, "SELECT customer, phase, reason, run_id, at FROM phases ORDER BY id")
    assert found == [
        ("failed-one", "onboarding", "first apply", None, 4000.0),
        ("legacy-one", "onboarding", "first apply", None, 3000.0),
        ("legacy-one", "live", phases.LEGACY_REASON, None, 3008.0),  # its verify step
        ("live-one", "onboarding", "first apply", None, 1000.0),
        ("live-one", "live", "go_live applied", None, 1010.0),
        ("waiting-one", "onboarding", "first apply", None, 2000.0),
    ]
    snapshot = StateReader(v9).snapshot()
    assert {c: p.phase for c, p in snapshot.phases.items()} == {
        "failed-one": "onboarding",
        "legacy-one": "live",
        "live-one": "live",
        "waiting-one": "onboarding",
    }
    # the customer in service before the onboarding steps keeps its firewall open
    assert gone_live(snapshot) == {"legacy-one", "live-one"}


def test_an_older_state_is_read_with_its_phases_and_left_as_it_is(v9: Path) -> None:
    before = v9.read_bytes()
    snapshot = StateReader(v9).snapshot()
    assert snapshot.phases["live-one"].phase == "live"
    assert v9.read_bytes() == before
    assert rows(v9, "PRAGMA user_version") == [(9,)]


def test_phase_changes_are_append_only_as_sign_offs_are(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with StateStore(db) as store, store.transaction() as conn:
        phases.record_phase(conn, "acme-corp", "onboarding", "first apply", "r1")
        conn.execute(
            "INSERT INTO signoffs (customer, gate, action, by, step, at) "
            "VALUES ('acme-corp', 'uat', 'signed', 'Jane Doe', 'acceptance', 0)"
        )
    conn = sqlite3.connect(db)
    try:
        for statement in (
            "UPDATE phases SET phase = 'live'",
            "DELETE FROM phases",
            "UPDATE signoffs SET by = 'x'",
            "DELETE FROM signoffs",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(statement)
        # one helper made the triggers of both tables
        triggers = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        ).fetchall()
        assert triggers == [
            ("phases_no_delete",),
            ("phases_no_update",),
            ("signoffs_no_delete",),
            ("signoffs_no_update",),
        ]
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO phases (customer, phase, at) VALUES ('acme-corp', 'paused', 0)"
            )
    finally:
        conn.close()
    assert rows(db, "SELECT phase FROM phases") == [("onboarding",)]


def test_a_customer_goes_through_its_phases_and_is_onboarded_anew_after_destroy(
    tmp_path: Path,
) -> None:
    db = tmp_path / "state.db"
    with StateStore(db) as store:
        store.record_spec("acme-corp", {}, None)
        with store.transaction() as conn:
            phases.started_onboarding(conn, ["acme-corp"], "r1")
            phases.started_onboarding(conn, ["acme-corp"], "r2")  # still onboarding: no row
            phases.went_live(conn, "acme-corp", "r2")
            phases.went_live(conn, "acme-corp", "r3")  # live already: no row
            phases.record_phase(conn, "acme-corp", "suspended", "unpaid", "r4")
            phases.went_live(conn, "acme-corp", "r5")  # a suspended customer stays suspended
            phases.record_phase(conn, "acme-corp", "live", "resumed", "r6")
        first_live = StateReader(db).query(phases.went_live_at, {})["acme-corp"]
        store.forget_customer("acme-corp", "r7")
        assert StateReader(db).snapshot().phases["acme-corp"].phase == "offboarded"
        assert StateReader(db).query(phases.went_live_at, {}) == {"acme-corp": first_live}
        with store.transaction() as conn:
            phases.started_onboarding(conn, ["acme-corp"], "r8")
    found = rows(db, "SELECT phase, reason, run_id FROM phases ORDER BY id")
    assert found == [
        ("onboarding", "first apply", "r1"),
        ("live", "go_live applied", "r2"),
        ("suspended", "unpaid", "r4"),
        ("live", "resumed", "r6"),
        ("offboarded", "destroyed", "r7"),
        ("onboarding", "first apply", "r8"),
    ]
    # onboarding anew: not live until its go_live step is applied again
    assert StateReader(db).query(phases.went_live_at, {}) == {}


def test_a_go_live_recorded_without_its_phase_is_caught_up_by_the_next_apply(
    tmp_path: Path,
) -> None:
    db = tmp_path / "state.db"
    with StateStore(db) as store:
        with store.transaction() as conn:
            phases.started_onboarding(conn, ["acme-corp"], "r1")
        # the run was killed between the step's write and the phase's
        store.record_step("acme-corp", "go_live", "r1", succeeded=True, input_hash="h")
        with store.transaction() as conn:
            phases.started_onboarding(conn, ["acme-corp"], "r2")
    assert rows(db, "SELECT phase, run_id FROM phases ORDER BY id") == [
        ("onboarding", "r1"),
        ("live", "r2"),
    ]
