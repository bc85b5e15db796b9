"""Addresses end to end: plan shows them, apply records and writes them, destroy frees them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from asp_provision.config import Settings
from asp_provision.state.addresses import legacy_allocation, record_allocations
from asp_provision.state.store import StateReader, StateStore
from tests.cli.helpers import ROOT
from tests.e2e.conftest import cli, make_workspace, query

POOL = 'address_pool = "172.20.0.0/16"\n'


@pytest.mark.slow
def test_apply_records_the_allocation_and_the_site_uses_it(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text(POOL)
    db = ws / ".asp" / "state.db"

    planned = cli(ws, "plan", "specs/acme-corp.yaml")
    assert planned.returncode == 0, planned.stderr
    assert "  + subnet 172.20.0.0/24 (to be allocated)\n" in planned.stdout
    assert not db.exists()  # plan writes nothing

    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert query(db, "SELECT customer, subnet, service_address FROM addresses") == [
        ("acme-corp", "172.20.0.0/24", "172.20.0.10")
    ]
    site = ws / ".asp" / "site" / "acme-corp"
    zone = (site / "network" / "dns" / "mail.acme.example.zone").read_text()
    assert "@\tIN\tA\t172.20.0.10\n" in zone
    nft = (site / "network" / "nftables.nft").read_text()
    assert "ip daddr 172.20.0.10 counter drop" in nft
    allocation = json.loads((site / "servers" / "allocation.json").read_text())
    assert allocation["subnet"] == "172.20.0.0/24"
    assert [(s["name"], s["address"]) for s in allocation["servers"]] == [
        ("acme-corp-app-1", "172.20.0.11"),
        ("acme-corp-app-2", "172.20.0.12"),
        ("acme-corp-db-1", "172.20.0.13"),
    ]
    nginx = (site / "application" / "nginx.conf").read_text()
    assert "server 172.20.0.11:8080" in nginx and "server 172.20.0.12:8080" in nginx
    targets = (site / "monitoring" / "prometheus" / "targets.json").read_text()
    assert "172.20.0.13:9100" in targets

    # the next customer gets the next subnet; acme-corp keeps its own
    again = cli(ws, "plan")
    assert "  + subnet 172.20.1.0/24 (to be allocated)\n" in again.stdout
    assert "acme-corp  ACME Corporation" in again.stdout and "172.20.0" not in again.stdout

    # destroy releases it, and only after its teardown
    serial = StateReader(db).serial()
    gone = cli(ws, "destroy", "acme-corp", "--yes")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert query(db, "SELECT * FROM addresses") == []
    assert StateReader(db).serial() > serial


def _inventory(ws: Path, hosts: dict[str, dict[str, object]]) -> None:
    (ws / "inventory").mkdir()
    (ws / "inventory" / "hosts.json").write_text(json.dumps({"all": {"hosts": hosts}}))


def _local(site: Path, **variables: object) -> dict[str, object]:
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "asp_site": str(site),
        **variables,
    }


def test_an_inventory_subnet_overlapping_an_allocation_is_refused(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    db = ws / ".asp" / "state.db"
    with StateStore(db) as store:
        store.allocate(Settings().address_request(("acme-corp",)))
    _inventory(
        ws,
        {
            "acme-corp": _local(tmp_path / "dc" / "acme-corp"),
            "globex-bank": _local(tmp_path / "dc" / "globex-bank", asp_subnet="10.0.0.0/23"),
            "northwind-traders": _local(tmp_path / "dc" / "northwind-traders"),
        },
    )
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        "error: the inventory inventory gives globex-bank asp_subnet 10.0.0.0/23, which "
        "overlaps acme-corp's 10.0.0.0/24 (allocated in the state)"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert query(db, "SELECT count(*) FROM runs") == [(0,)]
    assert not (tmp_path / "dc").exists()


def test_an_inventory_address_with_a_newline_is_refused(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    _inventory(
        ws,
        {"acme-corp": _local(tmp_path / "dc", asp_service_address="10.0.0.10\n}\nchain x {")},
    )
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 2, result.stderr
    assert "host acme-corp, variable asp_service_address: " in result.stderr
    assert "contains a line break (U+000A)" in result.stderr
    assert not (ws / ".asp").exists()


def test_an_exhausted_pool_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text('address_pool = "10.9.0.0/23"\n')
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "error: no free /24 subnet left in the address pool 10.9.0.0/23 for northwind-traders "
        "(2 subnets in use); widen address_pool in asp-provision.toml"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (ws / ".asp").exists()


@pytest.mark.slow
def test_a_customer_that_shared_a_subnet_is_moved_by_the_next_apply(tmp_path: Path) -> None:
    """cust-234 and cust-624 were both given 10.192.70.0/24 before allocations existed."""
    ws = make_workspace(tmp_path / "ws")
    for spec in (ws / "specs").iterdir():
        spec.unlink()
    text = (ROOT / "specs" / "northwind-traders.yaml").read_text()
    for name in ("cust-234", "cust-624"):
        body = text.replace("northwind-traders", name).replace("crm.northwind", f"crm.{name}")
        (ws / "specs" / f"{name}.yaml").write_text(body.replace("NWT-0042", f"NWT-{name[5:]}"))
    assert cli(ws, "apply", "--yes").returncode == 0
    # as the migration leaves it: the first by name keeps the shared subnet, the other none
    db = ws / ".asp" / "state.db"
    with StateStore(db) as store:
        store.connection.execute("DELETE FROM addresses")
        record_allocations(store.connection, [legacy_allocation("cust-234")])

    planned = cli(ws, "plan")
    assert planned.returncode == 0, planned.stderr
    assert (
        "  ~ subnet 10.192.70.0/24 -> 10.0.0.0/24 (to be allocated: 10.192.70.0/24 is also "
        "cust-234's, which keeps it)\n"
    ) in planned.stdout
    assert "cust-234  Northwind Traders  (silver, crm-suite 2024.2)" in planned.stdout

    moved = cli(ws, "apply", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert query(db, "SELECT customer, subnet FROM addresses ORDER BY customer") == [
        ("cust-234", "10.192.70.0/24"),
        ("cust-624", "10.0.0.0/24"),
    ]
    zone = ws / ".asp" / "site" / "cust-624" / "network" / "dns" / "crm.cust-624.example.zone"
    assert "@\tIN\tA\t10.0.0.10\n" in zone.read_text()
    assert "No changes." in cli(ws, "plan").stdout
