"""`asp-provision plan` through the real command line, on a copy of the example workspace."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from asp_provision.plan.steps import STEPS
from asp_provision.state.store import StateReader, StateStore
from tests.cli.helpers import ROOT, run_cli
from tests.plan.helpers import load_spec, record_applied

CUSTOMERS = ["acme-corp", "globex-bank", "northwind-traders"]
# every step of three customers but northwind-traders' data conversion (it has none) and
# the three go-lives, which wait for their sign-offs
FIRST_PLAN = (
    "Plan: 35 to create, 0 to update, 1 unchanged, 3 waiting for sign-off across 3 customers."
)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace with the example specs and catalog, and no state yet."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shutil.copy(ROOT / "catalog.yaml", tmp_path / "catalog.yaml")
    return tmp_path


def state_db(workspace: Path) -> Path:
    return workspace / ".asp" / "state.db"


def apply_all(workspace: Path, customers: list[str] = CUSTOMERS) -> int:
    """Record ``customers`` as fully applied from the workspace's specs; the serial after."""
    with StateStore(state_db(workspace)) as store:
        for customer in customers:
            sub = load_spec(workspace / "specs" / f"{customer}.yaml")
            record_applied(store, sub, "all")
    return StateReader(state_db(workspace)).serial()


def plan(workspace: Path, *args: str) -> Any:
    return run_cli("-C", str(workspace), "plan", *args, cwd=workspace)


def test_first_plan_on_a_missing_state(workspace: Path) -> None:
    result = plan(workspace)
    assert result.returncode == 0, result.stderr
    assert FIRST_PLAN in result.stdout
    assert "+ network         create   never applied  6.5 h" in result.stdout
    assert "charges: USD 2,800.00/month" in result.stdout
    # platinum, 250 seats: 10 % volume discount on the seats (691.25)
    assert "charges: GBP 10,961.25/month, billed annually GBP 109,612.50/year" in result.stdout
    assert "\x1b[" not in result.stdout
    # a missing state reads as empty, and planning does not create it
    assert not (workspace / ".asp").exists()


def test_json_format(workspace: Path) -> None:
    result = plan(workspace, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["format_version"] == 1
    assert data["state_serial"] == 0
    assert [c["customer"] for c in data["customers"]] == CUSTOMERS
    assert data["orphaned"] == []
    acme = data["customers"][0]
    assert acme["path"] == "specs/acme-corp.yaml"
    assert acme["estimate_hours"] == 52.65  # go_live waits, but its hour is ahead
    assert acme["charges"]["monthly"] == 2800.0
    assert acme["sizing"]["seats"] == 50


def test_out_saves_serial_and_content_hashes(workspace: Path) -> None:
    serial = apply_all(workspace, ["northwind-traders"])
    assert serial == 1 + len(STEPS)  # the spec, then each step: one transaction each
    saved = workspace / "PLAN.json"
    result = plan(workspace, "--out", str(saved))
    assert result.returncode == 0, result.stderr
    assert f"Saved the plan to {saved}" in result.stderr
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["format_version"] == 1
    assert data["state_serial"] == serial
    for customer in data["customers"]:
        spec_bytes = (workspace / customer["path"]).read_bytes()
        assert customer["content_hash"] == hashlib.sha256(spec_bytes).hexdigest()
        assert customer["steps"] and customer["charges"] and customer["sizing"]
        ran = sum(s["hours"] for s in customer["steps"] if s["action"] != "no-op")
        assert customer["estimate_hours"] == pytest.approx(ran)
    northwind = data["customers"][2]
    assert {s["action"] for s in northwind["steps"]} == {"no-op"}
    assert northwind["estimate_hours"] == 0
    # --format json prints the same document
    printed = json.loads(plan(workspace, "--format", "json").stdout)
    for document in (data, printed):
        del document["created_at"]
    assert printed == data


def test_detailed_exitcode(workspace: Path) -> None:
    assert plan(workspace, "--detailed-exitcode").returncode == 3
    apply_all(workspace)
    result = plan(workspace, "--detailed-exitcode")
    assert result.returncode == 0, result.stderr
    unchanged = f"Plan: 0 to create, 0 to update, {3 * len(STEPS)} unchanged across 3 customers."
    assert unchanged + " No changes." in result.stdout


def test_invalid_spec_exits_1_with_location(workspace: Path) -> None:
    spec = workspace / "specs" / "globex-bank.yaml"
    spec.write_text(spec.read_text().replace("bandwidth_mbps:", "bandwith_mbps:"))
    result = plan(workspace)
    assert result.returncode == 1
    assert (
        "specs/globex-bank.yaml:16:5: error: spec.network.bandwith_mbps: unknown field "
        "'bandwith_mbps'; did you mean 'bandwidth_mbps'?" in result.stderr
    )
    assert "Plan:" not in result.stdout
    assert "Traceback" not in result.stderr


def test_usage_error_exits_2(workspace: Path) -> None:
    assert plan(workspace, "--format", "yaml").returncode == 2
    result = plan(workspace, "specs/no-such-customer.yaml")
    assert result.returncode == 2
    assert "no-such-customer.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_state_is_a_clear_error_and_left_alone(workspace: Path) -> None:
    db = state_db(workspace)
    db.parent.mkdir()
    garbage = random.Random(7).randbytes(8192)
    db.write_bytes(garbage)
    result = plan(workspace)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"error: the state database {db.resolve()} is corrupt" in result.stderr
    assert "Plan:" not in result.stdout
    assert db.read_bytes() == garbage
    assert sorted(p.name for p in db.parent.iterdir()) == ["state.db"]


def test_planning_some_specs_orphans_only_customers_among_them(workspace: Path) -> None:
    apply_all(workspace)
    (workspace / "specs" / "globex-bank.yaml").unlink()

    def orphaned(*args: str) -> list[str]:
        result = plan(workspace, "--format", "json", *args)
        assert result.returncode == 0, result.stderr
        return [o["customer"] for o in json.loads(result.stdout)["orphaned"]]

    assert orphaned() == ["globex-bank"]
    assert orphaned("specs") == ["globex-bank"]
    assert orphaned("specs/acme-corp.yaml") == []
    assert orphaned("specs/acme-corp.yaml", "specs/northwind-traders.yaml") == []
