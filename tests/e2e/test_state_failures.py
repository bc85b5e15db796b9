"""A state write that fails mid-run ends the run as failed, with the reason, locks freed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from asp_provision.plan.steps import STEPS
from tests.cli.helpers import ROOT
from tests.e2e.conftest import cli, make_workspace, query
from tests.state.conditions import small_disk

pytestmark = pytest.mark.slow

HOLDER = Path(__file__).with_name("state_holder.py")


def test_a_state_write_that_fails_mid_run_fails_the_run_and_frees_its_locks(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text("state_timeout = 1\n")
    (ws / "playbooks").unlink()
    shutil.copytree(ROOT / "playbooks", ws / "playbooks")
    db = ws / ".asp" / "state.db"
    # the servers step ends while another process holds the state's write lock
    servers = ws / "playbooks" / STEPS["servers"].apply_tasks
    servers.write_text(
        servers.read_text()
        + "\n"
        + "- name: Another process takes the state's write lock\n"
        + "  ansible.builtin.command:\n"
        + f"    argv: ['{{{{ ansible_playbook_python }}}}', '{HOLDER}', '{db}']\n"
        + "  changed_when: false\n"
    )
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "The state could not record the run" in result.stderr
    assert f"{db} is busy" in result.stderr
    assert "corrupt" not in result.stderr
    ((run_id, outcome),) = query(db, "SELECT run_id, outcome FROM runs")
    assert outcome == "failed"
    assert query(db, "SELECT * FROM locks") == []
    # network was recorded before the lock was taken; nothing after servers was
    assert query(db, "SELECT step, status FROM steps") == [("network", "applied")]
    status = cli(ws, "status", "-f", "json")
    (customer,) = json.loads(status.stdout)["customers"][:1]
    assert customer["last_run"]["run_id"] == run_id
    assert customer["last_run"]["outcome"] == "failed"


def test_a_state_that_stays_unwritable_says_the_run_and_its_locks_could_not_be_ended(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws")
    with small_disk(tmp_path / "disk", "2m") as disk:
        db = disk / "state.db"
        (ws / "asp-provision.toml").write_text(f'state = "{db}"\n')
        (ws / "playbooks").unlink()
        shutil.copytree(ROOT / "playbooks", ws / "playbooks")
        # the servers step fills the disk that holds the state
        servers = ws / "playbooks" / STEPS["servers"].apply_tasks
        servers.write_text(
            servers.read_text()
            + "\n"
            + "- name: Fill the disk of the state\n"
            + f"  ansible.builtin.shell: cat /dev/zero > {disk}/filler || true\n"
            + "  changed_when: false\n"
        )
        result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        said = " ".join(result.stderr.split())
        assert f"the disk that holds the state database {db} is full" in said
        assert "The run's end and its locks could not be written" in said
        assert "asp-provision unlock acme-corp" in said
        assert "corrupt" not in said
        (disk / "filler").unlink()
        status = cli(ws, "status", "-f", "json")
        assert status.returncode == 0, status.stderr
        (customer,) = json.loads(status.stdout)["customers"][:1]
        assert customer["last_run"]["outcome"] == "interrupted"
        assert query(db, "SELECT step FROM steps") == [("network",)]
        assert cli(ws, "unlock", "acme-corp").returncode == 0
        assert query(db, "SELECT * FROM locks") == []
