"""A run whose process is gone is interrupted, not running for ever."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from asp_provision.state.store import StateReader, StateStore
from tests.cli.helpers import run_cli

_BEGIN = textwrap.dedent(
    """
    import os, sys
    from asp_provision.state.store import StateStore
    store = StateStore(__import__("pathlib").Path(sys.argv[1])).open()
    store.record_spec("acme-corp", {"spec": {"tier": "gold"}}, None)
    store.begin_run(sys.argv[2], "apply", ["acme-corp"], "log", None)
    print("begun", flush=True)
    sys.stdin.read()
    """
)


def begin_in_a_process(db: Path, run_id: str) -> subprocess.Popen[str]:
    """A process that begins a run and waits (until its stdin closes or it is killed)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _BEGIN, str(db), run_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "begun"
    return proc


def outcomes(db: Path) -> dict[str, str]:
    return {r.run_id: r.outcome for r in StateReader(db).runs()}


def test_a_killed_run_is_interrupted_and_a_live_one_running(tmp_path: Path) -> None:
    db = tmp_path / ".asp" / "state.db"
    killed = begin_in_a_process(db, "run-killed")
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    live = begin_in_a_process(db, "run-live")
    try:
        assert outcomes(db) == {"run-killed": "interrupted", "run-live": "running"}
        assert StateReader(db).last_runs()["acme-corp"].run_id == "run-live"
    finally:
        assert live.stdin is not None
        live.stdin.close()
        live.wait()
    # a run that ended without saying how is interrupted too
    assert outcomes(db)["run-live"] == "interrupted"


def test_status_shows_a_killed_run_as_interrupted(tmp_path: Path) -> None:
    db = tmp_path / ".asp" / "state.db"
    killed = begin_in_a_process(db, "run-killed")
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    result = run_cli("status", "-f", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (customer,) = json.loads(result.stdout)["customers"]
    assert customer["last_run"]["outcome"] == "interrupted"
    text = run_cli("status", cwd=tmp_path, env={"COLUMNS": "200"})
    assert "interrupted" in text.stdout
    assert "running" not in text.stdout


def test_the_next_run_records_a_gone_run_as_interrupted(tmp_path: Path) -> None:
    db = tmp_path / ".asp" / "state.db"
    killed = begin_in_a_process(db, "run-killed")
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    with StateStore(db) as store:
        store.begin_run("run-next", "apply", ["acme-corp"], "log", None)
        store.finish_run("run-next", "succeeded")
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        recorded = dict(conn.execute("SELECT run_id, outcome FROM runs").fetchall())
    finally:
        conn.close()
    assert recorded == {"run-killed": "interrupted", "run-next": "succeeded"}


def test_a_run_of_another_host_is_never_called_interrupted(tmp_path: Path) -> None:
    db = tmp_path / ".asp" / "state.db"
    with StateStore(db) as store:
        store.begin_run("run-elsewhere", "apply", ["acme-corp"], "log", None)
        with store.transaction() as conn:
            conn.execute("UPDATE runs SET host = 'another-host', pid = 999999999")
    assert outcomes(db) == {"run-elsewhere": "running"}
