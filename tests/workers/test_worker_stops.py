"""Stopping runs on workers: Ctrl-C reaches every worker, a lost connection stops the run.

Real runs over a loopback sshd; what is checked is what an engineer would check after:
the exit code, what the state recorded, no process left on the worker, no private folder
left (secrets included), the customers free for the next run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ENV, cli, make_workspace, query
from tests.sshd import Sshd
from tests.workers.conftest import processes_with, use_workers

pytestmark = pytest.mark.slow


def _start(ws: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "asp_provision", "apply", "--yes"],
        cwd=ws,
        env={**os.environ, **ENV, "NO_COLOR": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_log(ws: Path, texts: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = list((ws / ".asp" / "runs").glob("*/ansible.log"))
        if logs and all(t in logs[0].read_text() for t in texts):
            return
        time.sleep(0.1)
    raise AssertionError(f"the run never logged {texts}")


def _wait_gone(folder: Path, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := processes_with(str(folder))) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _children(pid: int, name: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            if ppid == pid and comm == name:
                found.append(int(proc.name))
    return found


def test_ctrl_c_stops_the_run_on_every_worker(tmp_path: Path, sshd: Sshd) -> None:
    ws = make_workspace(tmp_path / "ws")
    folder = tmp_path / "workers"
    use_workers(
        ws, ["ssh://worker-a", "ssh://worker-b"], tmp_path / "site", folder, sshd.client_config
    )
    run = _start(ws)
    _wait_for_log(
        ws,
        [
            "ssh://worker-a | PLAY [asp-provision step platform]",
            "ssh://worker-b | PLAY [asp-provision step platform]",
        ],
    )
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, out + err
    assert "interrupted" in err
    # nothing of the run is left on either worker: no process, no private folder
    assert _wait_gone(folder) == []
    assert os.listdir(folder / "private") == []
    db = ws / ".asp" / "state.db"
    assert query(db, "SELECT outcome FROM runs") == [("interrupted",)]
    assert query(db, "SELECT count(*) FROM locks") == [(0,)]
    steps = query(db, "SELECT count(*) FROM steps WHERE status = 'applied'")[0][0]
    assert 0 < steps < 38  # what finished is kept; the rest is left to the next run
    again = cli(ws, "apply", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_lost_connection_stops_the_remote_run(tmp_path: Path, sshd: Sshd) -> None:
    ws = make_workspace(tmp_path / "ws")
    folder = tmp_path / "worker"
    use_workers(ws, ["ssh://worker-a"], tmp_path / "site", folder, sshd.client_config)
    run = _start(ws)
    _wait_for_log(ws, ["PLAY [asp-provision step servers]"])
    clients = _children(run.pid, "ssh")
    assert len(clients) == 1
    os.kill(clients[0], signal.SIGKILL)  # the connection drops
    out, err = run.communicate(timeout=180)
    assert run.returncode == 1, out + err
    assert "worker ssh://worker-a was lost" in err
    # the worker program stopped the run on its own and removed its private folder
    assert _wait_gone(folder) == []
    assert os.listdir(folder / "private") == []
    db = ws / ".asp" / "state.db"
    assert query(db, "SELECT outcome FROM runs") in ([("error",)], [("failed",)])
    assert query(db, "SELECT count(*) FROM locks") == [(0,)]
    status = json.loads(cli(ws, "status", "--format", "json").stdout)
    assert all(c["applied"] < 13 for c in status["customers"])
    # the step in flight was not recorded: the next run does it again, to the end
    again = cli(ws, "apply", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    status = json.loads(cli(ws, "status", "--format", "json").stdout)
    assert {c["customer"]: c["pending"] for c in status["customers"]} == {
        "acme-corp": 0,
        "globex-bank": 0,
        "northwind-traders": 0,
    }
