"""A workspace inventory of real hosts: customers are reached, and sited, the way it says."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from asp_provision.plan.steps import STEPS
from tests.e2e.conftest import cli, make_workspace, query


def _inventory(ws: Path, hosts: dict[str, dict[str, object]]) -> Path:
    folder = ws / "inventory"
    folder.mkdir(exist_ok=True)
    (folder / "hosts.json").write_text(json.dumps({"all": {"hosts": hosts}}))
    return folder


def _local(site: Path) -> dict[str, object]:
    """A host reached through the local connection, with its own site folder."""
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "asp_site": str(site),
    }


def test_customers_missing_from_the_inventory_are_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws")
    _inventory(ws, {"acme-corp": _local(tmp_path / "dc" / "acme-corp")})
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 2, result.stderr
    assert (
        "error: not a host in the inventory inventory: globex-bank, northwind-traders; "
        "add each customer as a host"
    ) in result.stderr
    assert not (ws / ".asp").exists()  # no run, no state, no lock


def test_an_inventory_ansible_cannot_read_is_a_usage_error(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "inventory").mkdir()
    (ws / "inventory" / "hosts.yml").write_text("all:\n  hosts: [\n")
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 2, result.stderr
    assert "error: cannot read the inventory inventory:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (ws / ".asp").exists()


def test_a_configured_inventory_that_is_missing_names_the_setting(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text('inventory = "hosts/production.yml"\n')
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 1, result.stderr
    assert (
        "asp-provision.toml: inventory: no such inventory file or folder: hosts/production.yml"
    ) in result.stderr
    assert not (ws / ".asp").exists()


@pytest.mark.slow
def test_the_inventory_says_where_each_customer_runs(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    dc = tmp_path / "datacentre"
    acme = {**_local(dc / "acme-corp"), "asp_dns_nameservers": ["ns1.dc.example."]}
    # a host reached over SSH, where nothing listens
    globex = {"ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_user": "deploy"}
    _inventory(ws, {"acme-corp": acme, "globex-bank": globex, "not-a-customer": {}})

    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml", "specs/globex-bank.yaml")
    assert result.returncode == 1, result.stderr
    assert not (ws / ".asp" / "site").exists()  # the local site is not used
    site = dc / "acme-corp"
    zone = (site / "network" / "dns" / "mail.acme.example.zone").read_text()
    assert "IN\tNS\tns1.dc.example." in zone
    assert query(site / "billing" / "ledger.db", "SELECT account_id, status FROM accounts") == [
        ("ACME-0001", "open")
    ]
    status = json.loads(cli(ws, "status", "--format", "json").stdout)["customers"]
    steps = {c["customer"]: (c["applied"], c["failed"]) for c in status}
    assert steps == {
        "acme-corp": (len(STEPS), 0),
        "globex-bank": (0, 1),
        "northwind-traders": (0, 0),
    }
    assert "globex-bank: step network failed" in result.stderr
    assert not (dc / "globex-bank").exists()

    gone = cli(ws, "destroy", "acme-corp", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert sorted(p.name for p in site.iterdir()) == ["billing"]
    assert query(site / "billing" / "ledger.db", "SELECT status FROM accounts") == [("closed",)]


@pytest.mark.slow
def test_a_customer_moved_to_another_host_is_planned_again_with_refresh(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    _inventory(ws, {"acme-corp": _local(tmp_path / "dc1" / "acme-corp")})
    applied = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert applied.returncode == 0, applied.stderr
    _inventory(ws, {"acme-corp": _local(tmp_path / "dc2" / "acme-corp")})

    assert "No changes." in cli(ws, "plan", "specs/acme-corp.yaml").stdout
    result = cli(ws, "plan", "--refresh", "--format", "json", "specs/acme-corp.yaml")
    assert result.returncode == 0, result.stderr
    (acme,) = json.loads(result.stdout)["customers"]
    reasons = {s["step"]: s["reason"] for s in acme["steps"]}
    # but the steps that follow changes, and those with nothing to write for this spec
    # (its data conversion and training are the estimate's figures)
    quiet = {"verify", "acceptance", "data_conversion", "training"}
    assert all(r.startswith("drifted") for step, r in reasons.items() if step not in quiet), reasons
    assert not (tmp_path / "dc2").exists()  # the refresh only looked

    moved = cli(ws, "apply", "--yes", "--refresh", "specs/acme-corp.yaml")
    assert moved.returncode == 0, moved.stderr
    assert (tmp_path / "dc2" / "acme-corp" / "billing" / "ledger.db").is_file()


def test_an_inventory_certificate_without_its_key_is_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws")
    cert = tmp_path / "acme.crt"
    cert.write_text("certificate")
    acme = {**_local(tmp_path / "dc" / "acme-corp"), "asp_tls_cert": str(cert)}
    _inventory(ws, {"acme-corp": acme})
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 2, result.stderr
    assert (
        "error: the inventory inventory: host acme-corp sets asp_tls_cert without asp_tls_key"
    ) in result.stderr
    assert not (ws / ".asp").exists()


@pytest.mark.slow
def test_a_host_serves_the_certificate_its_inventory_names(tmp_path: Path) -> None:
    from asp_provision.site.ca import CertificateAuthority

    ws = make_workspace(tmp_path / "ws")
    theirs = CertificateAuthority.open(tmp_path / "their-ca", "Acme's own")
    own = theirs.issue("mail.acme.example", tmp_path / "acme-tls")
    site = tmp_path / "dc" / "acme-corp"
    acme = {
        **_local(site),
        "asp_tls_cert": str(own.certificate),
        "asp_tls_key": str(own.key),
    }
    _inventory(ws, {"acme-corp": acme})
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 0, result.stderr  # verify's nginx -t loaded them
    vhost = (site / "application" / "nginx.conf").read_text()
    assert f'ssl_certificate "{own.certificate}";' in vhost
    assert f'ssl_certificate_key "{own.key}";' in vhost
    assert not (ws / ".asp" / "tls" / "acme-corp").exists()  # the site's authority issued none
