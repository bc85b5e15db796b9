"""The state store on a real SQLite file: transactions, serial, migration, bad files."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from asp_provision.errors import StateError
from asp_provision.state.schema import MIGRATIONS, SCHEMA_VERSION
from asp_provision.state.store import RunRecord, Snapshot, StateReader, StateStore

SPEC = {"metadata": {"customer": "acme-corp"}, "spec": {"tier": "gold"}}
INPUTS = {"spec.network": {"bandwidth_mbps": 100}}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / ".asp" / "state.db"


def rows(path: Path, query: str) -> list[tuple[object, ...]]:
    """Rows read with plain sqlite3, read-only, so the check itself changes nothing."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def columns(path: Path, table: str) -> set[str]:
    return {str(row[1]) for row in rows(path, f"PRAGMA table_info({table})")}


def folder(path: Path) -> dict[str, bytes]:
    """Every file beside ``path`` (and ``path`` itself) with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir())}


# A missing file


def test_missing_file_reads_as_empty_and_is_not_created(db: Path) -> None:
    reader = StateReader(db)
    assert reader.snapshot() == Snapshot(0, {})
    assert reader.serial() == 0
    assert reader.runs() == []
    assert not db.parent.exists()


def test_first_write_creates_the_database(db: Path) -> None:
    with StateStore(db) as store:
        store.record_spec("acme-corp", SPEC, "specs/acme-corp.yaml")
    assert rows(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    snapshot = StateReader(db).snapshot()
    assert snapshot.serial == 1
    assert snapshot.customers["acme-corp"].spec == SPEC
    assert snapshot.customers["acme-corp"].spec_path == "specs/acme-corp.yaml"


# Transactions and the serial


def test_serial_grows_by_one_per_write_transaction(db: Path) -> None:
    reader = StateReader(db)
    with StateStore(db) as store:
        writes = [
            lambda: store.record_spec("acme-corp", SPEC, None),
            lambda: store.begin_run("r1", "apply", ["acme-corp"], "runs/r1.log", None),
            lambda: store.record_step(
                "acme-corp", "network", "r1", succeeded=True, input_hash="h1", inputs=INPUTS
            ),
            lambda: store.record_step("acme-corp", "servers", "r1", succeeded=False),
            lambda: store.finish_run("r1", "failed"),
            lambda: store.forget_step("acme-corp", "servers"),
            lambda: store.forget_customer("acme-corp"),
        ]
        for number, write in enumerate(writes, start=1):
            write()
            assert reader.serial() == number
            assert reader.snapshot().serial == number
        with store.transaction():
            pass
        assert reader.serial() == len(writes) + 1
    # reading never moves it
    reader.snapshot()
    reader.runs()
    assert reader.serial() == len(writes) + 1


@pytest.mark.parametrize("interruption", [RuntimeError("boom"), KeyboardInterrupt()])
def test_interrupted_transaction_leaves_nothing_behind(
    db: Path, interruption: BaseException
) -> None:
    with StateStore(db) as store:
        store.record_spec("acme-corp", SPEC, None)
        before = folder(db), StateReader(db).snapshot()
        with pytest.raises(type(interruption)), store.transaction() as conn:
            conn.execute(
                "INSERT INTO customers (customer, spec_json, updated_at) VALUES (?, ?, 0)",
                ("globex-bank", "{}"),
            )
            conn.execute("DELETE FROM customers WHERE customer = 'acme-corp'")
            raise interruption
        # the same connection goes on working afterwards
        assert not store.connection.in_transaction
        store.record_spec("northwind-traders", SPEC, None)
    after = StateReader(db).snapshot()
    assert after.serial == before[1].serial + 1
    assert sorted(after.customers) == ["acme-corp", "northwind-traders"]


def test_transaction_rolled_back_keeps_serial_and_rows(db: Path) -> None:
    with StateStore(db) as store:
        store.record_spec("acme-corp", SPEC, None)
        store.record_step("acme-corp", "network", "r1", succeeded=True, input_hash="h1")
        snapshot = StateReader(db).snapshot()
        with pytest.raises(ValueError), store.transaction() as conn:
            conn.execute("UPDATE steps SET input_hash = 'h2'")
            raise ValueError
    assert StateReader(db).snapshot() == snapshot
    assert rows(db, "SELECT input_hash FROM steps") == [("h1",)]


def test_a_process_killed_inside_a_transaction_leaves_the_last_commit(db: Path) -> None:
    script = textwrap.dedent(
        """
        import os, signal, sys
        from pathlib import Path
        from asp_provision.state.store import StateStore

        store = StateStore(Path(sys.argv[1])).open()
        store.record_spec("acme-corp", {"v": 1}, None)
        with store.transaction() as conn:
            conn.execute("UPDATE customers SET spec_json = '{\\"v\\": 2}'")
            conn.execute(
                "INSERT INTO customers (customer, spec_json, updated_at) "
                "VALUES ('globex-bank', '{}', 0)"
            )
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", script, str(db)], check=False, timeout=60)
    assert done.returncode == -9
    snapshot = StateReader(db).snapshot()
    assert snapshot.serial == 1
    assert {name: c.spec for name, c in snapshot.customers.items()} == {"acme-corp": {"v": 1}}
    with StateStore(db) as store:  # and it can be written again
        store.record_spec("globex-bank", {}, None)
    assert StateReader(db).serial() == 2


# Steps


def test_step_failure_keeps_the_last_applied_inputs(db: Path) -> None:
    with StateStore(db) as store:
        store.record_spec("acme-corp", SPEC, None)
        store.record_step(
            "acme-corp", "network", "r1", succeeded=True, input_hash="h1", inputs=INPUTS
        )
        store.record_step("acme-corp", "network", "r2", succeeded=False, message="timed out")
    failed = StateReader(db).snapshot().customers["acme-corp"].steps["network"]
    assert (failed.status, failed.run_id, failed.message) == ("failed", "r2", "timed out")
    assert (failed.input_hash, failed.inputs) == ("h1", INPUTS)

    with StateStore(db) as store:
        store.record_step(
            "acme-corp", "network", "r3", succeeded=True, input_hash="h3", inputs={"x": 1}
        )
    applied = StateReader(db).snapshot().customers["acme-corp"].steps["network"]
    assert (applied.status, applied.input_hash, applied.inputs) == ("applied", "h3", {"x": 1})
    assert (applied.run_id, applied.message) == ("r3", None)


def test_first_failure_has_no_applied_inputs(db: Path) -> None:
    with StateStore(db) as store:
        store.record_spec("acme-corp", SPEC, None)
        store.record_step("acme-corp", "users", "r1", succeeded=False, message="no such role")
    step = StateReader(db).snapshot().customers["acme-corp"].steps["users"]
    assert (step.status, step.input_hash, step.inputs, step.message) == (
        "failed",
        None,
        None,
        "no such role",
    )


def test_runs_are_kept_with_their_plan(db: Path) -> None:
    plan = {"format_version": 1, "state_serial": 0}
    with StateStore(db) as store:
        store.begin_run("r1", "apply", ["acme-corp", "globex-bank"], "runs/r1.log", plan)
        store.finish_run("r1", "succeeded")
    [run] = StateReader(db).runs()
    assert (run.run_id, run.command, run.outcome, run.customers, run.plan) == (
        "r1",
        "apply",
        "succeeded",
        ["acme-corp", "globex-bank"],
        plan,
    )
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert set(StateReader(db).last_runs()) == {"acme-corp", "globex-bank"}


# Migration from schema version 1


def make_v1(path: Path) -> None:
    """A state database as version 1 of the schema wrote it, with a few rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[1])
    conn.execute("PRAGMA user_version = 1")
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'serial'")
    conn.execute(
        "INSERT INTO customers (customer, spec_json, updated_at) VALUES (?, ?, ?)",
        ("acme-corp", json.dumps(SPEC), 1700000000.0),
    )
    conn.executemany(
        "INSERT INTO steps (customer, step, status, input_hash, updated_at, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("acme-corp", "network", "applied", "h-network", 1700000001.0, "r1"),
            ("acme-corp", "users", "failed", None, 1700000002.0, "r1"),
        ],
    )
    conn.execute(
        "INSERT INTO runs (run_id, command, started_at, finished_at, outcome, customers, "
        "plan_json) VALUES ('r1', 'apply', 1700000000.0, 1700000003.0, 'failed', ?, NULL)",
        (json.dumps(["acme-corp"]),),
    )
    conn.commit()
    conn.close()


def _check_v1_data(snapshot: Snapshot, last_runs: dict[str, RunRecord]) -> None:
    assert snapshot.serial == 7
    acme = snapshot.customers["acme-corp"]
    assert (acme.spec, acme.spec_path, acme.updated_at) == (SPEC, None, 1700000000.0)
    network, users = acme.steps["network"], acme.steps["users"]
    assert (network.status, network.input_hash, network.inputs, network.run_id) == (
        "applied",
        "h-network",
        None,
        "r1",
    )
    assert (users.status, users.input_hash, users.message) == ("failed", None, None)
    run = last_runs["acme-corp"]
    assert (run.run_id, run.outcome, run.log_path) == ("r1", "failed", None)


def test_v1_database_is_migrated_and_keeps_its_data(db: Path) -> None:
    make_v1(db)
    assert "spec_path" not in columns(db, "customers")
    with StateStore(db) as store:
        _check_v1_data(store.snapshot(), store.last_runs())
    assert rows(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert {"spec_path"} <= columns(db, "customers")
    assert {"inputs_json", "message"} <= columns(db, "steps")
    assert {"log_path"} <= columns(db, "runs")
    assert {"customer", "run_id", "pid", "host", "user", "started_at"} <= columns(db, "locks")
    _check_v1_data(StateReader(db).snapshot(), StateReader(db).last_runs())
    # new columns are written from now on
    with StateStore(db) as store:
        store.record_step(
            "acme-corp", "users", "r2", succeeded=True, input_hash="h-users", inputs=INPUTS
        )
    snapshot = StateReader(db).snapshot()
    assert snapshot.serial == 8
    assert snapshot.customers["acme-corp"].steps["users"].inputs == INPUTS


def test_v1_database_is_read_without_being_changed(db: Path) -> None:
    make_v1(db)
    before = folder(db)
    reader = StateReader(db)
    _check_v1_data(reader.snapshot(), reader.last_runs())
    assert reader.serial() == 7
    assert folder(db) == before
    assert rows(db, "PRAGMA user_version") == [(1,)]


def test_v1_database_runs_are_read_without_being_changed(db: Path) -> None:
    make_v1(db)
    before = folder(db)
    runs = StateReader(db).runs()
    assert [(r.run_id, r.outcome, r.log_path) for r in runs] == [("r1", "failed", None)]
    assert folder(db) == before


# Files that are not a state this version can use


def make_newer(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[1])
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()


def test_newer_schema_is_refused(db: Path) -> None:
    make_newer(db)
    for attempt in (StateReader(db).snapshot, StateStore(db).open):
        with pytest.raises(StateError) as refused:
            attempt()
        message = str(refused.value)
        assert str(db) in message
        assert "schema version 99" in message
        assert "upgrade asp-provision" in message
    assert rows(db, "PRAGMA user_version") == [(99,)]


def test_newer_schema_is_read_without_being_changed(db: Path) -> None:
    make_newer(db)
    before = folder(db)
    with pytest.raises(StateError):
        StateReader(db).snapshot()
    assert folder(db) == before


def test_newer_schema_refused_by_the_store_without_being_changed(db: Path) -> None:
    make_newer(db)
    before = folder(db)
    with pytest.raises(StateError):
        StateStore(db).open()
    assert folder(db) == before


def write_garbage(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = random.Random(42).randbytes(16384)
    path.write_bytes(data)
    return data


def test_corrupt_file_is_an_error_and_left_as_it_is(db: Path) -> None:
    garbage = write_garbage(db)
    reader, store = StateReader(db), StateStore(db)
    for attempt in (reader.snapshot, reader.serial, reader.runs, store.open):
        with pytest.raises(StateError) as refused:
            attempt()
        message = str(refused.value)
        assert str(db) in message
        assert "is corrupt" in message
        assert "left as it is" in message
    with pytest.raises(StateError):
        store.record_spec("acme-corp", SPEC, None)
    assert folder(db) == {"state.db": garbage}


def test_truncated_database_is_an_error(db: Path) -> None:
    with StateStore(db) as store:
        for n in range(50):
            store.record_spec(f"customer-{n:03}", {"padding": "x" * 2000}, None)
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    with pytest.raises(StateError, match="is corrupt"):
        StateReader(db).snapshot()


def make_unrelated(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()


def test_unrelated_sqlite_database_is_refused_by_the_store(db: Path) -> None:
    make_unrelated(db)
    with pytest.raises(StateError, match="not an asp-provision state") as refused:
        StateStore(db).open()
    assert str(db) in str(refused.value)
    assert rows(db, "SELECT total FROM invoices") == [(12.5,)]
    assert "meta" not in {r[0] for r in rows(db, "SELECT name FROM sqlite_master")}


def test_unrelated_sqlite_database_is_left_unchanged_by_the_store(db: Path) -> None:
    make_unrelated(db)
    before = folder(db)
    with pytest.raises(StateError):
        StateStore(db).open()
    assert folder(db) == before


def test_unrelated_sqlite_database_is_refused_by_the_reader(db: Path) -> None:
    make_unrelated(db)
    with pytest.raises(StateError, match="not an asp-provision state"):
        StateReader(db).snapshot()


def test_empty_file_reads_as_empty_state(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.touch()
    assert StateReader(db).snapshot() == Snapshot(0, {})
    assert db.read_bytes() == b""
    with StateStore(db) as store:  # and the first write makes it a state
        store.record_spec("acme-corp", SPEC, None)
    assert StateReader(db).serial() == 1
