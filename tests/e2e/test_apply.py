"""apply with the real CLI, ansible-runner and playbooks on the local site."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
from pathlib import Path

import pytest

from asp_provision.plan.steps import STEPS
from tests.e2e.conftest import SECRET, cli, make_workspace, plan_json, query, running_steps

pytestmark = pytest.mark.slow


def test_site_holds_real_artifacts(applied: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    ws, result = applied
    site = ws / ".asp" / "site" / "acme-corp"
    nft = (site / "network" / "nftables.nft").read_text()
    assert "203.0.113.0/24" in nft and "198.51.100.7/32" in nft
    nginx = (site / "application" / "nginx.conf").read_text()
    assert "server_name mail.acme.example;" in nginx
    assert "allow 203.0.113.0/24;" in nginx and "deny all;" in nginx
    assert (site / "network" / "dns" / "mail.acme.example.zone").is_file()
    users = query(site / "application" / "users.db", "SELECT username, role FROM users ORDER BY 1")
    assert users == [("bsmith", "staff"), ("jdoe", "admin")]
    ledger = query(
        site / "billing" / "ledger.db",
        "SELECT account_id, seats, monthly_charge, status FROM accounts",
    )
    assert ledger == [("ACME-0001", 50, 2800.0, "open")]
    alerts = (site / "monitoring" / "prometheus" / "alerts.yml").read_text()
    assert "99.9" in alerts
    targets = json.loads((site / "monitoring" / "prometheus" / "targets.json").read_text())
    assert targets and targets[0]["labels"]["customer"] == "acme-corp"
    assert "Run " in result.stderr and "finished" in result.stderr
    log = next((ws / ".asp" / "runs").glob("*/ansible.log")).read_text()
    assert "# asp-provision: strategy mitogen_linear, forks 5" in log


def test_state_records_every_step(applied: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    ws, _ = applied
    status = cli(ws, "status", "--format", "json")
    assert status.returncode == 0
    customers = json.loads(status.stdout)["customers"]
    assert {c["customer"]: (c["applied"], c["pending"], c["failed"]) for c in customers} == {
        "acme-corp": (len(STEPS), 0, 0),
        "globex-bank": (len(STEPS), 0, 0),
        # it converts no data: that step has nothing to do
        "northwind-traders": (len(STEPS) - 1, 0, 0),
    }


def test_second_apply_changes_nothing(
    applied: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    ws, _ = applied
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0
    assert "No changes." in result.stderr
    assert "Run " not in result.stderr  # no Ansible run at all


def test_secret_is_found_nowhere(applied: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    ws, result = applied
    assert SECRET not in result.stdout + result.stderr
    for path in (ws / ".asp").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    sso = json.loads((ws / ".asp/site/globex-bank/security/sso.json").read_text())
    assert sso["client_secret_fingerprint"].startswith("hmac-sha256:")
    assert hashlib.sha256(SECRET.encode()).hexdigest() not in json.dumps(sso)


def test_only_affected_steps_run_after_a_change(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    assert cli(ws, "apply", "--yes").returncode == 0
    spec = ws / "specs" / "acme-corp.yaml"
    text = spec.read_text().replace("bandwidth_mbps: 100", "bandwidth_mbps: 200")
    text = text.replace(
        "    - {username: bsmith,",
        "    - {username: cdiaz, email: cdiaz@acme.example, role: staff}\n    - {username: bsmith,",
    )
    spec.write_text(text)
    assert running_steps(plan_json(ws)) == {
        "acme-corp": ["network", "users", "billing", "verify", "acceptance"]
    }
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stderr
    site = ws / ".asp/site/acme-corp"
    assert ("cdiaz",) in query(site / "application/users.db", "SELECT username FROM users")
    assert "200" in (site / "network/qos.conf").read_text()
    assert running_steps(plan_json(ws)) == {}


def test_a_failing_customer_does_not_stop_the_others_and_apply_resumes(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    spec = ws / "specs" / "northwind-traders.yaml"
    good = spec.read_text()
    # valid for the spec, but more than the site can deliver: the network playbook refuses it
    spec.write_text(good.replace("bandwidth_mbps: 20", "bandwidth_mbps: 20000"))
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 1
    assert "northwind-traders: step network failed at task" in result.stderr
    assert "ansible.log" in result.stderr
    status = {
        c["customer"]: c for c in json.loads(cli(ws, "status", "-f", "json").stdout)["customers"]
    }
    assert status["acme-corp"]["applied"] == len(STEPS)
    assert status["globex-bank"]["applied"] == len(STEPS)
    steps = {s["step"]: s["status"] for s in status["northwind-traders"]["steps"]}
    assert steps["network"] == "failed"
    assert running_steps(plan_json(ws)) == {
        "northwind-traders": [
            "network",
            "servers",
            "platform",
            "security",
            "application",
            "users",
            "billing",
            "reporting",
            "verify",
            "acceptance",
            "training",
            "go_live",
        ]
    }
    spec.write_text(good)
    assert cli(ws, "apply", "--yes").returncode == 0
    assert running_steps(plan_json(ws)) == {}


def test_hostile_values_are_written_literally(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    marker = tmp_path / "pwned"
    spec = ws / "specs" / "acme-corp.yaml"
    text = spec.read_text().replace(
        "full_name: Jane Doe", "full_name: \"{{ lookup('pipe','touch " + str(marker) + "') }}\""
    )
    text = text.replace("name: ACME Corporation", 'name: "{{ 7*7 }} ACME"')
    text = text.replace("po_number: PO-4471", "po_number: \"{{ 'po' | upper }}.example.com\"")
    spec.write_text(text)
    for other in ("globex-bank", "northwind-traders"):
        (ws / "specs" / f"{other}.yaml").unlink()
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    site = ws / ".asp/site/acme-corp"
    names = query(
        site / "application/users.db", "SELECT full_name FROM users WHERE username='jdoe'"
    )
    assert names == [("{{ lookup('pipe','touch " + str(marker) + "') }}",)]
    ledger = query(site / "billing/ledger.db", "SELECT name, po_number FROM accounts")
    assert ledger == [("{{ 7*7 }} ACME", "{{ 'po' | upper }}.example.com")]


def test_check_mode_records_nothing(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "specs" / "globex-bank.yaml").unlink()
    (ws / "specs" / "northwind-traders.yaml").unlink()
    result = cli(ws, "apply", "--check")
    assert result.returncode == 0, result.stderr
    assert not (ws / ".asp" / "state.db").exists()
    assert not (ws / ".asp" / "site" / "acme-corp" / "network").exists()


def test_drift_is_detected_after_a_hand_edit(
    applied: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    ws, _ = applied
    nft = ws / ".asp/site/acme-corp/network/nftables.nft"
    original = nft.read_text()
    nft.write_text(original.replace("198.51.100.7/32", "0.0.0.0/0"))
    try:
        result = cli(ws, "plan", "--refresh", "--format", "json")
        assert result.returncode == 0, result.stderr
        plan = json.loads(result.stdout)
        acme = next(c for c in plan["customers"] if c["customer"] == "acme-corp")
        network = next(s for s in acme["steps"] if s["step"] == "network")
        assert network["action"] == "update"
        assert network["reason"].startswith("drifted:")
        assert "(nftables.nft)" in network["reason"]  # the one file that changed
        assert network["hours"] == 6.5  # base 4 + 2 allowlist entries x 0.25 + vpn 2
        assert acme["estimate_hours"] == sum(s["hours"] for s in acme["steps"]) > 6.5
        others = [c for c in plan["customers"] if c["customer"] != "acme-corp"]
        assert all(s["action"] == "no-op" for c in others for s in c["steps"])
        saved = ws / "repair.json"
        assert cli(ws, "plan", "--refresh", "--out", str(saved)).returncode == 0
        repaired = cli(ws, "apply", "--yes", str(saved))
        assert repaired.returncode == 0, repaired.stderr
        assert nft.read_text() == original
        nft.write_text(original.replace("198.51.100.7/32", "0.0.0.0/0"))
        assert cli(ws, "apply", "--yes", "--refresh").returncode == 0
        assert nft.read_text() == original
    finally:
        nft.write_text(original)


def test_only_names_a_blocking_dependency(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    result = cli(ws, "apply", "--yes", "--only", "users")
    assert result.returncode == 2
    assert "users needs network, which is planned to create" in result.stderr


def test_apply_without_a_terminal_needs_yes(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    result = cli(ws, "apply")
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert not (ws / ".asp").exists()


def test_plain_strategy_without_mitogen(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text("mitogen = false\n")
    for other in ("globex-bank", "northwind-traders"):
        (ws / "specs" / f"{other}.yaml").unlink()
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stderr
    log = next((ws / ".asp" / "runs").glob("*/ansible.log")).read_text()
    assert "# asp-provision: strategy linear, forks 5" in log
    assert running_steps(plan_json(ws)) == {}
    users = query(ws / ".asp/site/acme-corp/application/users.db", "SELECT count(*) FROM users")
    assert users == [(2,)]


def test_a_short_secret_is_fingerprinted_and_verified(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    for other in ("acme-corp", "northwind-traders"):
        (ws / "specs" / f"{other}.yaml").unlink()
    result = cli(ws, "apply", "--yes", env={"GLOBEX_OIDC_SECRET": "x"})
    assert result.returncode == 0, result.stderr
    sso = json.loads((ws / ".asp/site/globex-bank/security/sso.json").read_text())
    key = (ws / ".asp" / "secret.key").read_bytes()
    keyed = hmac.new(key, b"x", hashlib.sha256).hexdigest()
    assert sso["client_secret_fingerprint"] == f"hmac-sha256:{keyed}"
    assert hashlib.sha256(b"x").hexdigest() not in json.dumps(sso)
