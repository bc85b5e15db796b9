"""`apply --check` reports what would change, records nothing, and verify does not fail on
files that check mode did not write."""

from __future__ import annotations

from pathlib import Path

import pytest

from asp_provision.plan.steps import STEPS
from tests.e2e.conftest import cli, make_workspace, plan_json, query, running_steps

pytestmark = pytest.mark.slow


def site_files(ws: Path) -> dict[str, bytes]:
    site = ws / ".asp" / "site"
    if not site.exists():
        return {}
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_check_on_a_never_applied_customer_reports_everything_and_writes_nothing(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws")
    result = cli(ws, "apply", "--check", "specs/globex-bank.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "step verify failed" not in result.stderr
    assert f"globex-bank │ succeeded │ {len(STEPS)}/{len(STEPS)}" in result.stderr
    assert (
        "globex-bank: network: would change: Write the nftables ruleset, QoS class and connection"
        " to the customer (nftables.nft, qos.conf, connection.json)" in result.stdout
    )
    assert "globex-bank: users: would change:" in result.stdout
    assert "verify" not in result.stdout  # verify changes nothing
    assert site_files(ws) == {}
    assert not (ws / ".asp" / "state.db").exists()


def test_check_with_pending_updates_reports_them_and_records_nothing(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    applied = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert applied.returncode == 0, applied.stderr
    spec = ws / "specs" / "acme-corp.yaml"
    spec.write_text(
        spec.read_text()
        .replace("bandwidth_mbps: 100", "bandwidth_mbps: 150")
        .replace("full_name: Jane Doe", "full_name: Jane Roe")
    )
    db = ws / ".asp" / "state.db"
    before = (query(db, "SELECT * FROM steps"), query(db, "SELECT * FROM meta"), site_files(ws))
    result = cli(ws, "apply", "--check", "specs/acme-corp.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "step verify failed" not in result.stderr
    # of the network's files, the QoS class and the connection hold the bandwidth
    assert (
        "acme-corp: network: would change: Write the nftables ruleset, QoS class and connection"
        " to the customer (qos.conf, connection.json)" in result.stdout
    )
    assert "acme-corp: users: would change: Make the application's user database" in (result.stdout)
    assert "acme-corp: billing: would change: Open or update the billing account" in (result.stdout)
    after = (query(db, "SELECT * FROM steps"), query(db, "SELECT * FROM meta"), site_files(ws))
    assert after == before
    assert running_steps(plan_json(ws))["acme-corp"] == [
        "network",
        "users",
        "billing",
        "verify",
        "acceptance",
    ]
