"""apply with the real CLI and Ansible on a PostgreSQL state, named in the workspace's settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asp_provision.plan.steps import STEPS
from asp_provision.state.store import StateReader, StateStore
from asp_provision.state.url import PgUrl
from tests.e2e.conftest import ENV, cli, make_workspace, running_steps
from tests.postgres import Cluster
from tests.state.backends import rows

pytestmark = pytest.mark.slow

PASSWORD = "Pg-Passw0rd-never-shown"


def test_apply_records_the_run_in_postgresql_and_copies_to_sqlite(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    url = pg_cluster.create_database().replace("postgres@", f"postgres:{PASSWORD}@")
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text(f'state = "{url}"\n')
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (ws / ".asp" / "state.db").exists()  # the state is the database's alone

    status = cli(ws, "status", "--format", "json")
    assert status.returncode == 0, status.stderr
    customers = json.loads(status.stdout)["customers"]
    assert {c["customer"]: (c["applied"], c["failed"]) for c in customers} == {
        "acme-corp": (len(STEPS), 0),
        "globex-bank": (len(STEPS), 0),
        "northwind-traders": (len(STEPS) - 1, 0),
    }
    state = PgUrl(url)
    assert rows(state, "SELECT command, outcome FROM runs") == [("apply", "succeeded")]
    assert rows(state, "SELECT count(*) FROM addresses") == [(3,)]
    # nobody holds a lock once the run is over
    assert rows(state, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == [(0,)]
    again = cli(ws, "apply", "--yes")
    assert again.returncode == 0 and "No changes." in again.stderr
    history = cli(ws, "history", "acme-corp", "--format", "json")
    assert history.returncode == 0, history.stderr
    events = json.loads(history.stdout)["events"]
    assert len(events) > len(STEPS)  # the run, each step, the ledger

    # the same state in a SQLite file plans the same: nothing to do
    copied = cli(ws, "state", "copy", url, ".asp/state.db")
    assert copied.returncode == 0, copied.stderr
    assert StateReader(ws / ".asp" / "state.db").snapshot() == StateReader(state).snapshot()
    (ws / "asp-provision.toml").unlink()
    plan = cli(ws, "plan", "--format", "json")
    assert plan.returncode == 0, plan.stderr
    assert running_steps(json.loads(plan.stdout)) == {}
    # and tells the same history
    from_file = cli(ws, "history", "acme-corp", "--format", "json")
    assert json.loads(from_file.stdout)["events"] == events

    for output in (result, status, again, copied):
        assert PASSWORD not in output.stdout + output.stderr
    for path in (ws / ".asp").rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def _advisory_locks(url: str) -> int:
    found = rows(PgUrl(url), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
    return int(found[0][0])


def test_two_controllers_never_run_one_customer_at_once(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    url = pg_cluster.create_database()
    StateStore(PgUrl(url)).open().close()  # the tables, before anything runs
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text(f'state = "{url}"\n')
    env = {**os.environ, **ENV, "NO_COLOR": "1"}
    first = subprocess.Popen(
        [sys.executable, "-m", "asp_provision", "apply", "--yes", "specs/acme-corp.yaml"],
        cwd=ws,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        began = time.monotonic()
        # until its ansible-playbook works under the lock
        while not rows(PgUrl(url), "SELECT 1 FROM locks WHERE runner_pid IS NOT NULL")[:1]:
            assert first.poll() is None, "the first apply ended before it ran Ansible"
            assert time.monotonic() - began < 120
            time.sleep(0.1)
        second = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
        assert second.returncode == 1
        assert "customer acme-corp is locked by another run: run " in second.stderr
        assert f"pid {first.pid} on " in second.stderr
        first.kill()
        first.wait()
        killed = time.monotonic()
        while _advisory_locks(url):
            assert time.monotonic() - killed < 2, "the killed controller's locks stayed"
            time.sleep(0.01)
    finally:
        first.kill()
        first.wait()
    # the killed run's ansible-playbook may finish its task first: until it ends, the
    # customer is refused, then the next apply takes it
    while True:
        third = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
        if "is still finishing" not in third.stderr:
            break
        assert time.monotonic() - killed < 60
        time.sleep(0.5)
    assert third.returncode == 0, third.stderr
    status = json.loads(cli(ws, "status", "--format", "json").stdout)["customers"]
    assert {c["customer"]: c["applied"] for c in status}["acme-corp"] == len(STEPS)
