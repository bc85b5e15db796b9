"""The Prometheus rules the reporting step writes: response, resolution and availability."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

from asp_provision.plan.derived import alerts
from asp_provision.plan.steps import ROLES, STEPS
from tests.cli.helpers import ROOT

TEMPLATE = ROOT / "playbooks" / ROLES / STEPS["reporting"].role / "templates" / "alerts.yml.j2"


def _render(tmp_path: Path, support_hours: str = "24x7") -> Path:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent))
    env.filters["to_json"] = json.dumps
    sla = {
        "availability_pct": 99.95,
        "response_minutes": 5,
        "resolution_hours": 1,
        "support_hours": support_hours,
    }
    text = env.get_template(TEMPLATE.name).render(
        asp_customer="globex-bank",
        asp_tier={"name": "platinum"},
        asp_spec={"sla": sla},
        asp_derived={"alerts": alerts(sla)},
    )
    path = tmp_path / "alerts.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_resolution_alert_fires_after_the_sla_resolution_time(tmp_path: Path) -> None:
    rules = yaml.safe_load(_render(tmp_path).read_text())["groups"][0]["rules"]
    by_name = {r["alert"]: r for r in rules}
    resolution = by_name["AspResolutionTimeAboveSla"]
    assert resolution["expr"] == (
        'max(asp_ticket_oldest_unresolved_seconds{customer="globex-bank"}) > 3600'
    )
    assert resolution["labels"]["severity"] == "critical"
    assert "within 1 hours (24x7)" in resolution["annotations"]["description"]
    business = yaml.safe_load(_render(tmp_path, "business").read_text())
    rules = {r["alert"]: r for r in business["groups"][0]["rules"]}
    assert rules["AspResolutionTimeAboveSla"]["labels"]["severity"] == "warning"


def test_promtool_accepts_the_rules(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install -y prometheus provides it)")
    proc = subprocess.run(
        [promtool, "check", "rules", str(_render(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 4 rules found" in proc.stdout
