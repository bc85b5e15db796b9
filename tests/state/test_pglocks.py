"""Per-customer locks on a PostgreSQL state: two real processes contend for a customer."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from asp_provision.errors import LockedError, UsageError
from asp_provision.state.locks import acquire, release, unlock
from asp_provision.state.store import StateStore
from asp_provision.state.url import PgUrl
from tests.cli.helpers import ROOT

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from asp_provision.state.locks import acquire
    from asp_provision.state.store import StateStore
    from asp_provision.state.url import PgUrl
    store = StateStore(PgUrl(sys.argv[1])).open()
    acquire(store, sys.argv[3:], sys.argv[2])
    print("held", flush=True)
    time.sleep(600)
    """
)


@contextmanager
def holder(url: str, run_id: str, *customers: str) -> Iterator[subprocess.Popen[str]]:
    """Another asp-provision process holding the locks of ``customers`` for run ``run_id``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, url, run_id, *customers],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def store(pg_url: str) -> Iterator[StateStore]:
    with StateStore(PgUrl(pg_url)) as opened:
        yield opened


def test_a_second_run_is_refused_naming_the_holder(
    pg_url: str, store: StateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    with holder(pg_url, "20261201T100000-a1b2", "acme-corp") as proc:
        began = time.perf_counter()
        with pytest.raises(LockedError) as refused:
            acquire(store, ["acme-corp"], "20261201T100001-c3d4")
        latency = time.perf_counter() - began
        message = str(refused.value)
        assert "customer acme-corp is locked by another run: run 20261201T100000-a1b2" in message
        assert f"pid {proc.pid} on {socket.gethostname()}" in message
        assert "since 20" in message
    with capsys.disabled():
        print(f"\n  contended lock refused in {latency * 1000:.1f} ms")
    assert latency < 2.0


def test_the_locks_of_a_killed_run_are_free_at_once(pg_url: str, store: StateStore) -> None:
    with holder(pg_url, "run-killed", "acme-corp", "globex") as proc:
        with pytest.raises(LockedError):
            acquire(store, ["globex"], "run-waiting")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed = time.perf_counter()
        while True:
            try:
                acquire(store, ["acme-corp", "globex"], "run-next")
                break
            except LockedError:
                assert time.perf_counter() - killed < 5, "the killed run's locks stayed held"
                time.sleep(0.005)
        freed = time.perf_counter() - killed
    release(store, "run-next")
    print(f"\n  locks of a SIGKILLed run free after {freed * 1000:.1f} ms")
    assert freed < 1.0


def test_locks_are_all_or_none_and_end_with_release(pg_url: str, store: StateStore) -> None:
    with holder(pg_url, "run-b", "globex"):
        with pytest.raises(LockedError, match="customer globex is locked") as refused:
            acquire(store, ["acme-corp", "globex"], "run-a")
        assert "acme-corp" not in str(refused.value)
        # acme-corp was not kept locked by the refused run
        other = StateStore(PgUrl(pg_url)).open()
        acquire(other, ["acme-corp"], "run-c")
        with pytest.raises(LockedError, match="run run-c"):
            acquire(store, ["acme-corp"], "run-d")
        release(other, "run-c")
        acquire(store, ["acme-corp"], "run-d")
        release(store, "run-d")
        other.close()


def test_unlock_has_nothing_to_clear(pg_url: str, store: StateStore) -> None:
    with pytest.raises(UsageError, match="a killed run leaves none behind"):
        unlock(store, "acme-corp")
    with holder(pg_url, "run-live", "acme-corp"), pytest.raises(LockedError, match="run run-live"):
        unlock(store, "acme-corp", force=True)


def test_a_killed_runs_ansible_playbook_keeps_its_customers(pg_url: str, store: StateStore) -> None:
    with holder(pg_url, "run-killed", "acme-corp") as proc:
        other = StateStore(PgUrl(pg_url)).open()
        runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        # what the killed run had written: its ansible-playbook, still working
        with other.transaction(serial=False) as conn:
            conn.execute(
                "UPDATE locks SET runner_pid = ? WHERE run_id = ?", (runner.pid, "run-killed")
            )
        other.close()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    try:
        with pytest.raises(LockedError, match=f"ansible-playbook \\(pid {runner.pid}\\) is still"):
            acquire(store, ["acme-corp"], "run-next")
    finally:
        runner.kill()
        runner.wait()
    acquire(store, ["acme-corp"], "run-next")
    release(store, "run-next")
    with store.transaction(serial=False) as conn:
        assert conn.execute("SELECT count(*) FROM locks").fetchone()[0] == 0
