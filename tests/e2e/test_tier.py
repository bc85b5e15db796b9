"""A renamed customer and a changed tier reach the site: app.json, policies, ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from asp_provision.spec.catalog import load_catalog
from tests.e2e.conftest import cli, make_workspace, plan_json, query, running_steps
from tests.plan.test_tier import TIER_READERS, negotiated_only, to_gold

pytestmark = pytest.mark.slow

CUSTOMER = "northwind-traders"


def _edit(spec: Path, change: object) -> None:
    data = yaml.safe_load(spec.read_text())
    change(data)  # type: ignore[operator]
    spec.write_text(yaml.safe_dump(data, sort_keys=False))


def _apply(ws: Path) -> None:
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_rename_and_a_tier_change_update_the_site(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    for other in ws.joinpath("specs").glob("*.yaml"):
        if other.stem != CUSTOMER:
            other.unlink()
    spec = ws / "specs" / f"{CUSTOMER}.yaml"
    _edit(spec, negotiated_only)  # silver, and only what was negotiated
    _apply(ws)
    site = ws / ".asp" / "site" / CUSTOMER
    app = json.loads((site / "application/app.json").read_text())
    assert (app["customer_name"], app["tier"]) == ("Northwind Traders", "silver")
    assert app["sla"]["response_minutes"] == 240

    # a new display name: the application step and the ledger follow it
    _edit(spec, lambda d: d["metadata"].update(name="Northwind Trading AB"))
    # the training invitations name the customer too
    assert running_steps(plan_json(ws)) == {
        CUSTOMER: ["application", "billing", "verify", "acceptance", "training"]
    }
    _apply(ws)
    app = json.loads((site / "application/app.json").read_text())
    assert app["customer_name"] == "Northwind Trading AB"
    assert query(site / "billing/ledger.db", "SELECT name FROM accounts") == [
        ("Northwind Trading AB",)
    ]

    # silver to gold: every step that reads a tier value, with gold's promises
    _edit(spec, to_gold)
    running = running_steps(plan_json(ws))[CUSTOMER]
    assert set(running) == TIER_READERS
    _apply(ws)
    gold = load_catalog(ws / "catalog.yaml").tiers["gold"]
    app = json.loads((site / "application/app.json").read_text())
    assert app["tier"] == "gold"
    assert app["sla"] == {
        "availability_pct": gold.availability_pct,
        "response_minutes": gold.response_minutes,
        "resolution_hours": gold.resolution_hours,
        "support_hours": gold.support_hours,
        "channels": gold.channels,
    }
    assert app["support"] == {
        "included": gold.support.included,
        "excluded": gold.support.excluded,
    }
    policy = json.loads((site / "security/password-policy.json").read_text())
    assert policy | {"customer": None} == {
        **gold.password_policy.model_dump(),
        "session_timeout_minutes": gold.session_timeout_minutes,
        "customer": None,
    }
    assert (
        f"--retention-days {gold.backup_retention_days}"
        in (site / "platform/backup.cron").read_text()
    )
    assert 'tier: "gold"' in (site / "monitoring/prometheus/alerts.yml").read_text()
    assert query(site / "billing/ledger.db", "SELECT tier FROM accounts") == [("gold",)]
    assert running_steps(plan_json(ws)) == {}
