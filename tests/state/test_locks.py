"""One run at a time per customer: locks in the state database, on a real SQLite file."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from asp_provision.errors import LockedError, UsageError
from asp_provision.state.locks import (
    acquire,
    hand_over,
    held_locks,
    release,
    set_runner,
    unlock,
)
from asp_provision.state.store import StateStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


@pytest.fixture
def store(db: Path) -> Iterator[StateStore]:
    with StateStore(db) as opened:
        yield opened


def dead_pid() -> int:
    """The pid of a process that has finished (and been reaped)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(done.stdout)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    return pid


def plant_lock(store: StateStore, customer: str, pid: int, host: str | None = None) -> None:
    """A lock left by another run, written as that run would have."""
    conn = store.connection
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO locks (customer, run_id, pid, host, user, started_at) "
        "VALUES (?, 'run-old', ?, ?, 'olduser', ?)",
        (customer, pid, host or socket.gethostname(), time.time() - 3600),
    )
    conn.execute("COMMIT")


def held(store: StateStore) -> dict[str, str]:
    return {lock.customer: lock.run_id for lock in held_locks(store)}


def test_acquire_twice_is_refused_with_who_holds_it(db: Path, store: StateStore) -> None:
    acquire(store, ["acme-corp"], "run-1")
    with StateStore(db) as other, pytest.raises(LockedError) as refused:
        acquire(other, ["globex-bank", "acme-corp"], "run-2")
    message = str(refused.value)
    assert "customer acme-corp is locked by another run" in message
    assert f"pid {os.getpid()}" in message
    assert f"on {socket.gethostname()}" in message
    assert f"user {getpass.getuser()}" in message
    assert "since " in message
    # all or none: the free customer was not locked either
    assert held(store) == {"acme-corp": "run-1"}


def test_locks_do_not_block_other_customers(store: StateStore) -> None:
    acquire(store, ["acme-corp"], "run-1")
    acquire(store, ["globex-bank", "northwind-traders"], "run-2")
    assert held(store) == {
        "acme-corp": "run-1",
        "globex-bank": "run-2",
        "northwind-traders": "run-2",
    }


def test_lock_of_a_dead_process_is_stale_and_unlock_clears_it(store: StateStore) -> None:
    pid = dead_pid()
    plant_lock(store, "acme-corp", pid)
    [lock] = held_locks(store)
    assert lock.stale
    with pytest.raises(LockedError) as refused:
        acquire(store, ["acme-corp"], "run-new")
    message = str(refused.value)
    assert "stale lock" in message
    assert f"pid {pid}" in message
    assert "asp-provision unlock acme-corp" in message

    cleared = unlock(store, "acme-corp")
    assert (cleared.customer, cleared.pid, cleared.run_id, cleared.user) == (
        "acme-corp",
        pid,
        "run-old",
        "olduser",
    )
    assert held(store) == {}
    acquire(store, ["acme-corp"], "run-new")
    assert held(store) == {"acme-corp": "run-new"}


def test_unlock_of_a_live_lock_needs_force(store: StateStore) -> None:
    acquire(store, ["acme-corp"], "run-1")  # this process: alive
    [lock] = held_locks(store)
    assert not lock.stale
    with pytest.raises(LockedError) as refused:
        unlock(store, "acme-corp")
    assert f"pid {os.getpid()}" in str(refused.value)
    assert "--force" in str(refused.value)
    assert held(store) == {"acme-corp": "run-1"}
    unlock(store, "acme-corp", force=True)
    assert held(store) == {}


def test_lock_from_another_host_is_never_called_stale(store: StateStore) -> None:
    plant_lock(store, "acme-corp", dead_pid(), host="build-07.elsewhere.example")
    [lock] = held_locks(store)
    assert not lock.stale  # its pid means nothing here
    with pytest.raises(LockedError, match=r"on build-07\.elsewhere\.example"):
        unlock(store, "acme-corp")
    assert held(store) == {"acme-corp": "run-old"}


def test_unlock_of_an_unlocked_customer_is_a_usage_error(store: StateStore) -> None:
    with pytest.raises(UsageError, match="customer acme-corp is not locked"):
        unlock(store, "acme-corp")


def test_release_drops_only_the_runs_locks(db: Path, store: StateStore) -> None:
    acquire(store, ["acme-corp", "globex-bank"], "run-1")
    acquire(store, ["northwind-traders"], "run-2")
    release(store, "run-1")
    assert held(store) == {"northwind-traders": "run-2"}
    release(store, "run-1")  # again: nothing left to drop
    with StateStore(db) as other:  # what another process sees
        assert held(other) == {"northwind-traders": "run-2"}


def test_a_killed_run_whose_ansible_still_works_is_not_stale(store: StateStore) -> None:
    plant_lock(store, "acme-corp", dead_pid())
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        set_runner(store, "run-old", worker.pid)
        with pytest.raises(LockedError) as refused:
            acquire(store, ["acme-corp"], "run-new")
        assert f"its ansible-playbook (pid {worker.pid}) is still finishing" in str(refused.value)
        with pytest.raises(LockedError, match="is still running"):
            unlock(store, "acme-corp")
    finally:
        worker.kill()
        worker.wait()
    with pytest.raises(LockedError, match="stale lock"):
        acquire(store, ["acme-corp"], "run-new")
    assert unlock(store, "acme-corp").runner_pid == worker.pid
    assert held(store) == {}


def test_an_ansible_process_that_ended_unreaped_does_not_hold_the_lock(store: StateStore) -> None:
    plant_lock(store, "acme-corp", dead_pid())
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{ended.pid}/stat").read_text().split(")")[-1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        set_runner(store, "run-old", ended.pid)  # a zombie: its parent has not reaped it
        with pytest.raises(LockedError, match="stale lock"):
            acquire(store, ["acme-corp"], "run-new")
    finally:
        ended.wait()


def test_locks_handed_to_a_lost_worker_outlive_the_run_until_forced(
    db: Path, store: StateStore
) -> None:
    acquire(store, ["acme-corp", "globex-bank"], "run-1")
    hand_over(store, "run-1", {"acme-corp": "ssh://worker-a"})
    release(store, "run-1")  # the run ends: only the customer done here is freed
    assert held(store) == {"acme-corp": "run-1@worker"}
    with StateStore(db) as other, pytest.raises(LockedError) as refused:
        acquire(other, ["acme-corp"], "run-2")
    assert "on ssh://worker-a" in str(refused.value)
    with pytest.raises(LockedError):
        unlock(store, "acme-corp")  # never taken for stale: the worker may run it
    assert unlock(store, "acme-corp", force=True).host == "ssh://worker-a"
    acquire(store, ["acme-corp"], "run-3")
