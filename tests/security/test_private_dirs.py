"""A run's private folder (its inventory holds secrets) never outlives the run for long."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from asp_provision.run.private import private_dir, sweep
from tests.cli.helpers import ROOT, run_cli

HOLD = """
import sys, time
from pathlib import Path
from asp_provision.run.private import private_dir
with private_dir(Path(sys.argv[1])) as held:
    (held.path / "inventory.json").write_text("secret")
    print(held.path, flush=True)
    time.sleep(60)
"""


def killed_run(asp: Path) -> Path:
    """What a run killed by SIGKILL leaves: its folder and its (unheld) lock."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(asp)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    path = Path(proc.stdout.readline().strip())
    proc.kill()
    proc.wait()
    assert (path / "inventory.json").exists()
    return path


def test_the_folder_is_private_and_removed_when_the_run_ends(tmp_path: Path) -> None:
    asp = tmp_path / ".asp"
    with private_dir(asp) as held:
        assert stat.S_IMODE(held.path.stat().st_mode) == 0o700
        assert stat.S_IMODE(held.path.parent.stat().st_mode) == 0o700
        assert held.path.parent == asp / "private"
        (held.path / "x").write_text("x")
    assert list((asp / "private").iterdir()) == []


def test_sweep_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    asp = tmp_path / ".asp"
    path = killed_run(asp)
    assert sweep(asp) == [path]
    assert list((asp / "private").iterdir()) == []


def test_sweep_keeps_the_folder_of_a_live_run(tmp_path: Path) -> None:
    asp = tmp_path / ".asp"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(asp)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert proc.stdout is not None
        path = Path(proc.stdout.readline().strip())
        assert sweep(asp) == []
        assert (path / "inventory.json").exists()
    finally:
        proc.kill()
        proc.wait()
    assert sweep(asp) == [path]


def test_sweep_keeps_the_folder_while_its_ansible_playbook_lives(tmp_path: Path) -> None:
    asp = tmp_path / ".asp"
    path = killed_run(asp)
    lock = path.with_name(path.name + ".lock")
    lock.write_text(f"{os.getpid()}\n")  # an ansible-playbook that outlived its run
    assert sweep(asp) == []
    lock.write_text("999999999\n")
    assert sweep(asp) == [path]


def test_any_command_sweeps(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "specs").mkdir(parents=True)
    path = killed_run(ws / ".asp")
    result = run_cli("status", cwd=ws)
    assert result.returncode == 0, result.stderr
    assert not path.exists()
