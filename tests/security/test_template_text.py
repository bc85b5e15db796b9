"""Paths and values reach Ansible as data: a `{{` in a folder name is never evaluated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from asp_provision.errors import UserError
from asp_provision.plan.model import Charges
from asp_provision.run.inventory import Host, build_inventory, unsafe
from asp_provision.run.playbook import entry_playbook
from asp_provision.spec.catalog import load_catalog
from asp_provision.spec.effective import effective_document
from asp_provision.spec.models import Subscription
from tests.e2e.conftest import cli, make_workspace, query
from tests.spec.helpers import example

HOSTILE = "{{ 7*7 }}-{{ lookup('pipe','touch %s') }}"


def _host(customer: str, site: Path, labels: dict[str, str] | None = None) -> Host:
    catalog = load_catalog(None)
    doc = effective_document(Subscription.model_validate(example("acme-corp")), catalog)
    doc["metadata"] = {**doc["metadata"], "customer": customer, "labels": labels or {}}
    charges = Charges(
        currency="USD", cycle="monthly", base=1, seats=1, bandwidth=1, monthly=3, annual=30
    )
    return Host(customer, site, doc, charges, ["network"])


def _strings_not_marked(value: Any, where: str = "") -> list[str]:
    """Where a string of ``value`` is not wrapped as {"__ansible_unsafe": ...}."""
    if isinstance(value, str):
        return [where]
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return []
        return [w for k, v in value.items() for w in _strings_not_marked(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [w for i, v in enumerate(value) for w in _strings_not_marked(v, f"{where}[{i}]")]
    return []


def test_every_string_of_the_run_inventory_is_marked_as_data(tmp_path: Path) -> None:
    site = tmp_path / "ws-{{ 7*7 }}" / ".asp" / "site" / "acme-corp"
    inventory = build_inventory([_host("acme-corp", site)], ["network"])
    variables = inventory["all"]["hosts"]["acme-corp"]
    assert variables["asp_site"] == {"__ansible_unsafe": str(site)}
    # only the connection's name is plain: it is ours, and a fixed word
    assert _strings_not_marked(variables) == [".ansible_connection"]


def test_the_generated_playbook_reads_the_workspace_by_a_path_marked_as_data(
    tmp_path: Path,
) -> None:
    playbooks = tmp_path / "ws-{{ 7*7 }}" / "playbooks"
    (play,) = entry_playbook(["network"], playbooks)
    assert play["vars_files"] == [{"__ansible_unsafe": f"{playbooks}/vars/site.yml"}]
    # the roles are named from the registry, and found through the run's roles path
    assert play["tasks"] == [
        {"ansible.builtin.import_role": {"name": "network", "tasks_from": "main"}}
    ]


@pytest.mark.parametrize("key", ["__ansible_unsafe", "__ansible_vault", "__ansible_unsafe_x"])
def test_a_key_ansible_reads_as_a_marker_never_reaches_the_inventory(
    tmp_path: Path, key: str
) -> None:
    with pytest.raises(UserError, match="reserved by Ansible"):
        unsafe({"region": "eu", key: "x"})
    with pytest.raises(UserError, match="reserved by Ansible"):
        build_inventory([_host("globex-bank", tmp_path, {key: "x"})], ["network"])


def test_validate_refuses_such_a_label_and_the_other_customers_stay_valid(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws")
    spec = ws / "specs" / "globex-bank.yaml"
    spec.write_text(
        spec.read_text().replace("  labels: {", "  labels: {__ansible_unsafe: boom, ", 1)
    )
    result = cli(ws, "validate", "--format", "json")
    assert result.returncode == 1, result.stderr
    files = {f["customer"]: f for f in json.loads(result.stdout)["files"]}
    assert files["acme-corp"]["valid"] and files["northwind-traders"]["valid"]
    (problem,) = files["globex-bank"]["diagnostics"]
    assert problem["code"] == "invalid-value"
    assert problem["field"] == "metadata.labels.__ansible_unsafe"
    assert problem["line"] is not None


@pytest.mark.slow
def test_a_workspace_path_with_jinja_is_used_literally_and_nothing_runs(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "pwned"
    # the '/' of the marker's path makes folders: the workspace is the deepest one
    ws = make_workspace(Path(f"{tmp_path}/ws-{HOSTILE % marker}"))
    assert "{{ 7*7 }}" in str(ws) and ws.is_dir()

    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not marker.exists(), "a lookup in the workspace path was run"
    assert not any("49" in p.name for p in tmp_path.rglob("*")), "a path was templated"
    site = ws / ".asp" / "site" / "acme-corp"
    assert (site / "network" / "nftables.nft").is_file()
    cron = (site / "reporting" / "report.cron").read_text()
    assert "{{ 7*7 }}" in cron  # the literal path, quoted for the shell
    assert query(site / "billing" / "ledger.db", "SELECT account_id FROM accounts") == [
        ("ACME-0001",)
    ]
    log = next((ws / ".asp" / "runs").iterdir()) / "ansible.log"
    assert log.is_file()

    gone = cli(ws, "destroy", "acme-corp", "--yes")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not marker.exists()
    assert sorted(p.name for p in site.iterdir()) == ["billing"]
