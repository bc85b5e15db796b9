"""A run that cannot start says why, with nothing locked or recorded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from asp_provision.plan.steps import STEPS
from tests.cli.helpers import ROOT
from tests.e2e.conftest import cli, make_workspace


def test_missing_role_tasks_are_named_before_anything_runs(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "playbooks").unlink()
    shutil.copytree(ROOT / "playbooks", ws / "playbooks")
    (ws / "playbooks" / STEPS["billing"].apply_tasks).unlink()
    (ws / "playbooks" / STEPS["users"].check_tasks).unlink()  # verify runs the users checks
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 2, result.stderr
    assert (
        "error: no role tasks playbooks/roles/billing/tasks/main.yml, "
        "playbooks/roles/users/tasks/verify.yml; `asp-provision init` writes"
    ) in result.stderr
    assert not (ws / ".asp").exists()


@pytest.mark.slow
def test_a_playbook_ansible_cannot_load_is_shown_from_its_error(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "playbooks").unlink()
    shutil.copytree(ROOT / "playbooks", ws / "playbooks")
    network = ws / "playbooks" / STEPS["network"].apply_tasks
    network.write_text(network.read_text() + "\n- {broken: [\n")
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 1, result.stderr
    assert "Ansible failed before running the steps:\n[ERROR]" in result.stderr, result.stderr
    assert "roles/network/tasks/main.yml" in result.stderr
    assert "# asp-provision:" not in result.stderr
    assert not (ws / ".asp" / "site" / "acme-corp").exists()


_RAISES = """#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule

AnsibleModule(argument_spec={})
raise ValueError("ledger is locked by another writer")
"""

_PRINTS = """#!/usr/bin/python
print("ledger says hello, in no format at all")
"""

_TASKS = """
- name: Open the ledger
  asp_raises:
  when: asp_customer == 'acme-corp'

- name: Ask the ledger
  asp_prints:
  when: asp_customer == 'globex-bank'

- name: Store the ledger password
  ansible.builtin.command: /bin/false
  no_log: true
  changed_when: false
  when: asp_customer == 'northwind-traders'
"""


@pytest.mark.slow
def test_a_failing_module_shows_its_own_error_and_no_log_says_it_hides_it(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "playbooks").unlink()
    shutil.copytree(ROOT / "playbooks", ws / "playbooks")
    (ws / "playbooks" / "library" / "asp_raises.py").write_text(_RAISES)
    (ws / "playbooks" / "library" / "asp_prints.py").write_text(_PRINTS)
    network = ws / "playbooks" / STEPS["network"].apply_tasks
    network.write_text(network.read_text() + _TASKS)
    result = cli(ws, "apply", "--yes", env={"COLUMNS": "250"})
    assert result.returncode == 1, result.stderr
    out = " ".join(result.stderr.split())  # the terminal may wrap long lines
    assert "deserialization" not in out
    assert (
        "acme-corp: step network failed at task 'Open the ledger': the module failed (rc 1): "
        "ValueError: ledger is locked by another writer" in out
    )
    assert (
        "globex-bank: step network failed at task 'Ask the ledger': the module printed no "
        "result (rc 0), only: ledger says hello, in no format at all" in out
    )
    assert (
        "northwind-traders: step network failed at task 'Store the ledger password': the "
        "task failed and its output is hidden on purpose (no_log" in out
    )


@pytest.mark.slow
def test_a_file_of_a_task_that_writes_several_is_named_when_it_fails(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "playbooks").unlink()
    shutil.copytree(ROOT / "playbooks", ws / "playbooks")
    qos = ws / "playbooks" / "roles" / "network" / "templates" / "qos.conf.j2"
    qos.write_text(qos.read_text() + "{{ network_qos_missing }}\n")
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml", env={"COLUMNS": "250"})
    assert result.returncode == 1, result.stderr
    out = " ".join(result.stderr.split())  # the terminal may wrap long lines
    assert (
        "acme-corp: step network failed at task 'Write the nftables ruleset, QoS class and "
        "connection to the customer': qos.conf: " in out
    )
    assert "network_qos_missing" in out
    network = ws / ".asp" / "site" / "acme-corp" / "network"
    # the task's other files are written; the one that failed is not
    assert (network / "nftables.nft").is_file()
    assert not (network / "qos.conf").exists()
