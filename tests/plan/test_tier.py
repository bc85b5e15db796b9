"""A tier is a contract: changing it, or its promise in the catalog, plans what reads it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from asp_provision.plan.cost import CHARGES_READ, charges
from asp_provision.plan.diff import step_inputs
from asp_provision.plan.steps import STEPS
from asp_provision.spec.catalog import load_catalog
from asp_provision.spec.effective import effective_document
from asp_provision.spec.models import Subscription
from asp_provision.state.store import StateStore
from tests.cli.helpers import ROOT, run_cli
from tests.plan.helpers import load_spec, record_applied

NEGOTIATED_ONLY = (
    ("sla",),
    ("security", "password_policy"),
    ("security", "session_timeout_minutes"),
    ("platform", "storage", "backups", "retention_days"),
)
# acceptance checks the service after every change; the training invitations come from
# the service manager the gold tier names
TIER_READERS = {
    "platform",
    "security",
    "application",
    "billing",
    "reporting",
    "verify",
    "acceptance",
    "training",
}


def negotiated_only(data: dict[str, Any]) -> dict[str, Any]:
    """The spec with every term its tier gives left out."""
    for path in NEGOTIATED_ONLY:
        node = data["spec"]
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)
    return data


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """northwind-traders (silver), negotiated terms only, applied in full."""
    (tmp_path / "specs").mkdir()
    shutil.copy(ROOT / "catalog.yaml", tmp_path / "catalog.yaml")
    data = negotiated_only(yaml.safe_load((ROOT / "specs" / "northwind-traders.yaml").read_text()))
    spec = tmp_path / "specs" / "northwind-traders.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    with StateStore(tmp_path / ".asp" / "state.db") as store:
        record_applied(store, load_spec(spec), "all")
    return tmp_path


def plan(workspace: Path) -> tuple[dict[str, Any], str]:
    """The plan as JSON and as text."""
    as_json = run_cli("plan", "--format", "json", cwd=workspace)
    assert as_json.returncode == 0, as_json.stderr
    as_text = run_cli("plan", "--detail", cwd=workspace)
    assert as_text.returncode == 0, as_text.stderr
    return json.loads(as_json.stdout), as_text.stdout


def steps_of(planned: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["step"]: s for s in planned["customers"][0]["steps"]}


def changes(step: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c["path"]: (c.get("before"), c.get("after")) for c in step["changes"]}


def edit(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def to_gold(doc: dict[str, Any]) -> None:
    """Gold, with the service manager gold needs (the support model is not the contract)."""
    doc["spec"]["tier"] = "gold"
    doc["spec"]["support"]["service_manager"] = {
        "name": "Maria Lind",
        "email": "maria.lind@nordic-hosted.example",
        "phone": "+46 8 555 010 21",
    }


def test_silverto_gold_plans_every_step_that_reads_the_tier(workspace: Path) -> None:
    spec = workspace / "specs" / "northwind-traders.yaml"
    edit(spec, to_gold)
    planned, text = plan(workspace)
    steps = steps_of(planned)
    assert {name for name, s in steps.items() if s["action"] != "no-op"} == TIER_READERS
    gold = load_catalog(workspace / "catalog.yaml").tiers["gold"]
    # gold's promises, not silver's, in the plan
    app = changes(steps["application"])
    assert app["sla.response_minutes"] == (240, gold.response_minutes)
    assert app["sla.resolution_hours"] == (24, gold.resolution_hours)
    assert app["sla.support_hours"] == ("business", "24x7")
    assert app["sla.availability_pct"] == (99.5, gold.availability_pct)
    assert app["sla.channels"] == (["email", "portal"], gold.channels)
    assert app["tier.name"] == ("silver", "gold")
    assert app["tier.support.included"][1] == gold.support.included
    assert changes(steps["security"]) == {
        "security.password_policy.min_length": (10, 12),
        "security.password_policy.require_mfa": (False, True),
        "security.password_policy.max_age_days": (180, 90),
        "security.session_timeout_minutes": (60, 30),
    }
    assert changes(steps["platform"]) == {"platform.storage.backups.retention_days": (14, 30)}
    assert changes(steps["billing"])["tier.prices.base"] == (500.0, 1500.0)
    assert changes(steps["reporting"])["sla.response_minutes"] == (240, 30)
    assert "~ sla.response_minutes: 240 -> 30" in text
    assert "~ security.password_policy.require_mfa: false -> true" in text


def test_a_spec_that_restated_silvers_policy_must_drop_it_to_go_gold(tmp_path: Path) -> None:
    spec = tmp_path / "northwind-traders.yaml"
    shutil.copy(ROOT / "specs" / "northwind-traders.yaml", spec)
    edit(spec, to_gold)
    result = run_cli("validate", "--format", "json", str(spec))
    assert result.returncode == 1
    found = {
        (d["code"], d["field"]): d["message"]
        for d in json.loads(result.stdout)["files"][0]["diagnostics"]
    }
    assert found == {
        ("policy-below-tier", "spec.security.password_policy.min_length"): (
            "passwords of at least 10 characters are weaker than the gold tier's policy "
            "(at least 12)"
        ),
        ("policy-below-tier", "spec.security.password_policy.require_mfa"): (
            "the gold tier's policy requires multi-factor authentication (require_mfa: true)"
        ),
        ("policy-below-tier", "spec.security.password_policy.max_age_days"): (
            "passwords changed every 180 days is weaker than the gold tier's policy "
            "(passwords changed every 90 days)"
        ),
        ("policy-below-tier", "spec.security.session_timeout_minutes"): (
            "sessions of 60 minutes are longer than the gold tier allows (30 minutes)"
        ),
        ("policy-below-tier", "spec.platform.storage.backups.retention_days"): (
            "backups kept 14 days is less than the gold tier promises (30 days)"
        ),
    }


def test_a_catalog_change_of_the_tiers_promise_plans_what_reads_it(workspace: Path) -> None:
    catalog = workspace / "catalog.yaml"
    text = catalog.read_text()
    old = "        - Telephone and chat support\n"
    assert old in text
    catalog.write_text(text.replace(old, "        - Chat support\n"))
    steps = steps_of(plan(workspace)[0])
    running = {name for name, s in steps.items() if s["action"] != "no-op"}
    assert running == {"application", "verify", "acceptance"}
    before, after = changes(steps["application"])["tier.support.excluded"]
    assert "Telephone and chat support" in before
    assert "Chat support" in after
    # and a price: the ledger holds the charge
    catalog.write_text(catalog.read_text().replace("per_seat: 12,", "per_seat: 13,"))
    steps = steps_of(plan(workspace)[0])
    assert changes(steps["billing"])["tier.prices.per_seat"] == (12.0, 13.0)


def test_the_charges_read_only_what_they_declare() -> None:
    catalog = load_catalog()
    sub = load_spec(ROOT / "specs" / "acme-corp.yaml")
    doc = effective_document(sub, catalog)

    def variant(change: Any) -> Subscription:
        data = sub.model_dump(mode="json", by_alias=True, exclude_none=True)
        change(data)
        return Subscription.model_validate(data)

    # what the charges do not read changes nothing
    other = variant(
        lambda d: (
            d["metadata"].update(name="Other"),
            d["spec"].update(users=[], sla={"response_minutes": 60}),
            d["spec"]["billing"].update(account_id="X-1", po_number="PO-9"),
        )
    )
    assert charges(other, catalog) == charges(sub, catalog)
    # what they read is in CHARGES_READ, which the billing and verify steps declare
    for step in ("billing", "verify"):
        declared = step_inputs(doc, STEPS[step])
        assert all(any(r == d or r.startswith(d + ".") for d in declared) for r in CHARGES_READ)
    for change in (
        lambda d: d["spec"]["billing"].update(seats=60),
        lambda d: d["spec"]["billing"].update(currency="EUR"),
        lambda d: d["spec"]["billing"].update(cycle="annual"),
        lambda d: d["spec"]["network"].update(bandwidth_mbps=200),
        lambda d: d["spec"].update(tier="platinum"),
    ):
        assert charges(variant(change), catalog) != charges(sub, catalog)
