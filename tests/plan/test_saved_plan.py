"""A saved plan is applied exactly, or refused as stale when anything changed since."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from asp_provision.plan.model import Plan
from asp_provision.state.store import StateStore
from tests.cli.helpers import ROOT, run_cli


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copytree(ROOT / "specs", ws / "specs")
    shutil.copy(ROOT / "catalog.yaml", ws / "catalog.yaml")
    assert run_cli("plan", "--out", "saved.json", cwd=ws).returncode == 0
    return ws


def _refused(ws: Path) -> str:
    result = run_cli("apply", "--yes", "saved.json", cwd=ws)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not (ws / ".asp" / "runs").exists()  # nothing ran
    return result.stderr


def test_a_changed_spec_makes_the_plan_stale(workspace: Path) -> None:
    spec = workspace / "specs" / "acme-corp.yaml"
    spec.write_text(spec.read_text().replace("bandwidth_mbps: 100", "bandwidth_mbps: 150"))
    assert "stale plan saved.json: specs/acme-corp.yaml changed since it was made" in _refused(
        workspace
    )


def test_a_removed_spec_makes_the_plan_stale(workspace: Path) -> None:
    (workspace / "specs" / "globex-bank.yaml").unlink()
    assert "stale plan saved.json: specs/globex-bank.yaml is gone" in _refused(workspace)


def test_a_state_written_since_makes_the_plan_stale(workspace: Path) -> None:
    with StateStore(workspace / ".asp" / "state.db") as store:
        store.record_spec("someone-else", {"metadata": {"customer": "someone-else"}}, None)
    assert "stale plan saved.json: the state changed since it was made" in _refused(workspace)


def test_a_changed_catalog_makes_the_plan_stale(workspace: Path) -> None:
    catalog = workspace / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("per_seat: 20", "per_seat: 21"))
    assert "stale plan saved.json: the catalog changed since it was made" in _refused(workspace)


def test_a_saved_plan_takes_no_step_options(workspace: Path) -> None:
    result = run_cli("apply", "--yes", "saved.json", "--only", "network", cwd=workspace)
    assert result.returncode == 2
    assert "a saved plan is applied exactly as it was made" in result.stderr


def test_a_saved_plans_summary_is_recomputed_not_trusted(workspace: Path) -> None:
    saved = workspace / "saved.json"
    plan = json.loads(saved.read_text())
    assert plan["summary"]["create"] == 27
    plan["summary"] = {"create": 0, "estimate_hours": -1}
    saved.write_text(json.dumps(plan))
    assert Plan.model_validate_json(saved.read_bytes()).summary["create"] == 27
