"""A saved plan is applied exactly, or refused as stale when anything changed since."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asp_provision.plan.model import Plan
from asp_provision.plan.steps import STEPS
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
    # three customers, all new (but one has no data conversion, and go-lives wait)
    created = 3 * len(STEPS) - 1 - 3
    assert plan["summary"]["create"] == created
    plan["summary"] = {"create": 0, "estimate_hours": -1}
    saved.write_text(json.dumps(plan))
    assert Plan.model_validate_json(saved.read_bytes()).summary["create"] == created


def _edit(ws: Path, change: Callable[[dict[str, Any]], None]) -> str:
    saved = ws / "saved.json"
    plan = json.loads(saved.read_text())
    change(plan)
    saved.write_text(json.dumps(plan))
    result = run_cli("apply", "--yes", "saved.json", cwd=ws)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
    assert not (ws / ".asp").exists()  # nothing ran, nothing was recorded
    return result.stderr


def _customer(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in plan["customers"] if c["customer"] == name)


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_a_plan_of_another_format_version_is_refused(workspace: Path, version: object) -> None:
    def change(plan: dict[str, Any]) -> None:
        plan["format_version"] = version

    stderr = _edit(workspace, change)
    assert f"plan saved.json has format_version {json.dumps(version)}" in stderr
    assert "applies plans of format_version 1" in stderr


def test_a_plan_with_an_unknown_step_is_refused(workspace: Path) -> None:
    def change(plan: dict[str, Any]) -> None:
        _customer(plan, "acme-corp")["steps"][0]["step"] = "mining"

    stderr = _edit(workspace, change)
    assert "plan saved.json cannot be applied: customer acme-corp has an unknown step 'mining'" in (
        stderr
    )


def test_a_plan_with_a_repeated_step_is_refused(workspace: Path) -> None:
    def change(plan: dict[str, Any]) -> None:
        steps = _customer(plan, "acme-corp")["steps"]
        steps.append(dict(steps[0]))

    assert "customer acme-corp has step network twice" in _edit(workspace, change)


def test_a_plan_with_a_customer_not_in_its_spec_is_refused(workspace: Path) -> None:
    def change(plan: dict[str, Any]) -> None:
        _customer(plan, "acme-corp")["customer"] = "initech"

    stderr = _edit(workspace, change)
    assert (
        "customer initech is not in its spec specs/acme-corp.yaml (which is customer acme-corp)"
        in stderr
    )


def test_a_plan_with_a_customer_twice_is_refused(workspace: Path) -> None:
    def change(plan: dict[str, Any]) -> None:
        plan["customers"].append(_customer(plan, "acme-corp"))

    assert "customer acme-corp appears twice" in _edit(workspace, change)
