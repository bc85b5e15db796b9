"""A run that cannot start says why, with nothing locked or recorded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.helpers import ROOT
from tests.e2e.conftest import cli, make_workspace


def test_missing_playbooks_are_named_before_anything_runs(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "playbooks").unlink()
    shutil.copytree(ROOT / "playbooks", ws / "playbooks")
    (ws / "playbooks" / "billing.yml").unlink()
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 2, result.stderr
    assert "error: no playbook playbooks/billing.yml; `asp-provision init` writes" in (
        result.stderr
    )
    assert not (ws / ".asp").exists()


@pytest.mark.slow
def test_a_playbook_ansible_cannot_load_is_shown_from_its_error(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "playbooks").unlink()
    shutil.copytree(ROOT / "playbooks", ws / "playbooks")
    network = ws / "playbooks" / "network.yml"
    network.write_text(network.read_text() + "\n  - {broken: [\n")
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 1, result.stderr
    assert "Ansible failed before running the steps:\n[ERROR]" in result.stderr, result.stderr
    assert "network.yml" in result.stderr
    assert "# asp-provision:" not in result.stderr
    assert not (ws / ".asp" / "site" / "acme-corp").exists()
