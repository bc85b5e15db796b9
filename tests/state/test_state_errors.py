"""A state database that is busy, read-only, on a full disk or corrupt says exactly that."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from asp_provision.errors import StateError
from asp_provision.state import locks
from asp_provision.state.store import StateReader, StateStore
from tests.cli.helpers import run_cli
from tests.state.conditions import fill, read_only, read_only_file, small_disk, write_locked

SPEC = {"metadata": {"customer": "acme-corp"}, "spec": {"tier": "gold"}}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / ".asp" / "state.db"
    with StateStore(path) as store:
        store.record_spec("acme-corp", SPEC, "specs/acme-corp.yaml")
    return path


def contents(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.is_file()}


def assert_not_corrupt(message: str) -> None:
    assert "corrupt" not in message
    assert "move it aside" not in message


def test_a_database_held_by_another_process_is_busy(db: Path) -> None:
    store = StateStore(db, timeout=0.3).open()
    with write_locked(db):
        with pytest.raises(StateError) as refused:
            store.record_spec("globex", SPEC, None)
        with pytest.raises(StateError) as lock_refused:
            locks.acquire(store, ["acme-corp"], "run-1")
        with pytest.raises(StateError) as open_refused:
            StateStore(db, timeout=0.3).open()
    store.close()
    for error in (refused.value, lock_refused.value, open_refused.value):
        message = str(error)
        assert f"{db} is busy" in message
        assert "0.3 s" in message
        assert_not_corrupt(message)
    assert set(StateReader(db).snapshot().customers) == {"acme-corp"}


def test_a_busy_database_is_said_busy_by_the_cli(db: Path) -> None:
    ws = db.parent.parent
    (ws / "asp-provision.toml").write_text("state_timeout = 0.5\n")
    with StateStore(db) as store:
        locks.acquire(store, ["acme-corp"], "run-gone")
    with write_locked(db):
        result = run_cli("unlock", "acme-corp", "--force", cwd=ws)
    assert result.returncode == 1
    assert "is busy" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert_not_corrupt(result.stderr)


def test_a_read_only_database_is_said_read_only_and_still_reads(db: Path) -> None:
    before = contents(db)
    with read_only(db.parent):
        assert set(StateReader(db).snapshot().customers) == {"acme-corp"}
        with pytest.raises(StateError) as refused, StateStore(db) as store:
            store.record_spec("globex", SPEC, None)
    message = str(refused.value)
    assert f"{db} is read-only" in message
    assert_not_corrupt(message)
    assert contents(db) == before


def test_a_read_only_database_file_is_said_read_only(db: Path) -> None:
    with read_only_file(db):
        assert set(StateReader(db).snapshot().customers) == {"acme-corp"}
        with pytest.raises(StateError) as refused, StateStore(db) as store:
            store.record_spec("globex", SPEC, None)
    message = str(refused.value)
    assert f"{db} is read-only" in message
    assert_not_corrupt(message)
    assert set(StateReader(db).snapshot().customers) == {"acme-corp"}


def test_a_read_only_database_is_said_read_only_by_the_cli(db: Path) -> None:
    ws = db.parent.parent
    with StateStore(db) as store:
        locks.acquire(store, ["acme-corp"], "run-gone")
    with read_only(db.parent):
        result = run_cli("unlock", "acme-corp", "--force", cwd=ws)
    assert result.returncode == 1, result.stderr
    assert "is read-only" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert_not_corrupt(result.stderr)


def test_a_database_on_a_full_disk_is_said_full_and_keeps_its_last_commit(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        db = disk / "state.db"
        with StateStore(db) as store:
            store.record_spec("acme-corp", SPEC, None)
            filler = fill(disk)
            with pytest.raises(StateError) as refused:
                store.record_spec("globex", {"padding": "x" * 200_000}, None)
        message = str(refused.value)
        assert "is full" in message
        assert_not_corrupt(message)
        filler.unlink()
        assert set(StateReader(db).snapshot().customers) == {"acme-corp"}


def test_only_a_corrupt_file_is_called_corrupt(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    db.write_bytes(random.Random(7).randbytes(8192))
    with pytest.raises(StateError) as refused:
        StateReader(db).snapshot()
    assert "is corrupt" in str(refused.value)
    assert "move it aside" in str(refused.value)
