"""Killed, interrupted and concurrent runs: the state stays consistent and nothing is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ENV, cli, make_workspace, plan_json, query, running_steps

pytestmark = pytest.mark.slow


def _start_apply(ws: Path) -> subprocess.Popen[str]:
    env = {**os.environ, **ENV, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "asp_provision", "apply", "--yes"],
        cwd=ws,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(ws: Path, sql: str, timeout: float = 120) -> None:
    db = ws / ".asp" / "state.db"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                if query(db, sql):
                    return
            except Exception:  # the database is being created
                pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {sql}")


def _ansible_processes(ws: Path) -> list[int]:
    """ansible-playbook processes (and workers) of runs in ``ws``, found by their environment."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if b"ansible" in cmdline and str(ws).encode() in environ:
                found.append(int(proc.name))
    return found


def _wait_no_ansible(ws: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while _ansible_processes(ws) and time.monotonic() < deadline:
        time.sleep(0.2)


def test_sigkill_leaves_a_readable_state_and_the_next_apply_converges(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    proc = _start_apply(ws)
    _wait_for(ws, "SELECT 1 FROM steps WHERE status = 'applied'")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _wait_no_ansible(ws)  # the killed run's ansible-playbook finishes its task on its own
    status = cli(ws, "status", "-f", "json")
    assert status.returncode == 0, status.stderr
    customers = json.loads(status.stdout)["customers"]
    applied = sum(c["applied"] for c in customers)
    assert 0 < applied < 27
    assert {c["last_run"]["outcome"] for c in customers} == {"interrupted"}
    refused = cli(ws, "apply", "--yes")
    assert refused.returncode == 1
    assert "stale lock" in refused.stderr
    assert "asp-provision unlock" in refused.stderr
    for customer in ("acme-corp", "globex-bank", "northwind-traders"):
        assert cli(ws, "unlock", customer).returncode == 0
    resumed = cli(ws, "apply", "--yes")
    assert resumed.returncode == 0, resumed.stderr
    assert running_steps(plan_json(ws)) == {}


def test_ctrl_c_stops_ansible_and_records_what_finished(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    proc = _start_apply(ws)
    _wait_for(ws, "SELECT 1 FROM steps WHERE status = 'applied'")
    proc.send_signal(signal.SIGINT)
    asked = time.monotonic()
    _, stderr = proc.communicate(timeout=60)
    # it stops, rather than running on or waiting for the 20 s escalation to SIGKILL
    assert time.monotonic() - asked < 15
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    time.sleep(1)
    assert _ansible_processes(ws) == []
    db = ws / ".asp" / "state.db"
    assert query(db, "SELECT outcome FROM runs") == [("interrupted",)]
    assert query(db, "SELECT count(*) FROM locks") == [(0,)]
    applied = query(db, "SELECT count(*) FROM steps WHERE status = 'applied'")[0][0]
    assert 0 < applied < 27
    assert len(running_steps(plan_json(ws))) >= 1
    resumed = cli(ws, "apply", "--yes")
    assert resumed.returncode == 0, resumed.stderr
    assert running_steps(plan_json(ws)) == {}


def test_a_second_apply_on_a_locked_customer_is_refused(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    first = _start_apply(ws)
    _wait_for(ws, "SELECT 1 FROM locks")
    second = cli(ws, "apply", "--yes")
    assert second.returncode == 1
    assert "is locked by another run (pid" in second.stderr
    assert str(first.pid) in second.stderr
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
