"""Addresses derived in Python: the server layout, and the addresses a plan shows."""

from __future__ import annotations

import io
import ipaddress
from pathlib import Path

import pytest

from asp_provision.config import Settings, Workspace
from asp_provision.plan.addressing import layout
from asp_provision.render.plan import plan_text
from asp_provision.service import Service
from asp_provision.state.addresses import Wanted, legacy_allocation, record_allocations
from asp_provision.state.store import StateReader, StateStore
from tests.cli.helpers import ROOT


def _pool(role: str, count: int, cores: int = 4) -> dict[str, object]:
    return {"role": role, "count": count, "cpu_cores": cores, "memory_gb": 16, "disk_gb": 200}


def test_layout_names_and_addresses_every_server_in_pool_order() -> None:
    net = layout("acme-corp", [_pool("app", 2), _pool("db", 1, 8)], "10.239.175.0/24")
    assert net.subnet == "10.239.175.0/24"
    assert net.service_address == "10.239.175.10"
    assert [(s.name, s.role, s.address) for s in net.servers] == [
        ("acme-corp-app-1", "app", "10.239.175.11"),
        ("acme-corp-app-2", "app", "10.239.175.12"),
        ("acme-corp-db-1", "db", "10.239.175.13"),
    ]
    assert [s.name for s in net.app_servers] == ["acme-corp-app-1", "acme-corp-app-2"]
    assert net.variables()["servers"][2] == {
        "name": "acme-corp-db-1",
        "role": "db",
        "cpu_cores": 8,
        "memory_gb": 16,
        "disk_gb": 200,
        "address": "10.239.175.13",
    }


def test_without_an_app_pool_the_first_pool_serves() -> None:
    net = layout("x-corp", [_pool("web", 2), _pool("db", 1)], "10.0.0.0/24", "192.0.2.5")
    assert [s.name for s in net.app_servers] == ["x-corp-web-1", "x-corp-web-2"]
    assert net.service_address == "192.0.2.5"


@pytest.mark.parametrize(("subnet", "fits"), [("10.0.0.0/24", 240), ("10.0.0.0/27", 16)])
def test_a_subnet_holds_servers_up_to_five_below_its_top(subnet: str, fits: int) -> None:
    net = layout("x-corp", [_pool("app", fits)], subnet)
    top = ipaddress.IPv4Network(subnet).broadcast_address
    assert net.servers[-1].address == str(top - 5)
    with pytest.raises(ValueError, match=f"more than the {fits}"):
        layout("x-corp", [_pool("app", fits + 1)], subnet)


def _service(tmp_path: Path, **settings: object) -> Service:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "specs").symlink_to(ROOT / "specs")
    return Service(Workspace(ws, Settings(state=tmp_path / "state.db", **settings)))  # type: ignore[arg-type]


def test_plan_shows_the_subnets_apply_will_allocate_and_writes_nothing(tmp_path: Path) -> None:
    service = _service(tmp_path, address_pool="172.16.0.0/16", subnet_prefix=25)
    with StateStore(tmp_path / "state.db") as store:
        store.allocate(Wanted(("someone-else",), ipaddress.IPv4Network("172.16.0.0/16"), 25))
    serial = StateReader(tmp_path / "state.db").serial()
    plan = service.plan([]).plan
    assert StateReader(tmp_path / "state.db").serial() == serial
    assert set(StateReader(tmp_path / "state.db").snapshot().addresses) == {"someone-else"}
    found = {
        c.customer: (c.address.subnet, c.address.allocated) for c in plan.customers if c.address
    }
    assert found == {
        "acme-corp": ("172.16.0.128/25", False),
        "globex-bank": ("172.16.1.0/25", False),
        "northwind-traders": ("172.16.1.128/25", False),
    }
    out = io.StringIO()
    plan_text(plan, out)
    assert "  + subnet 172.16.0.128/25 (to be allocated)\n" in out.getvalue()
    data = plan.model_dump(mode="json")
    assert data["customers"][0]["address"] == {
        "subnet": "172.16.0.128/25",
        "service_address": "172.16.0.138",
        "allocated": False,
        "moved_from": None,
        "note": None,
    }


def test_a_customer_that_shared_a_subnet_moves_and_says_why(tmp_path: Path) -> None:
    """After the migration, the second of two customers that shared a subnet is moved."""
    service = _service(tmp_path)
    first = service.plan([]).plan
    with StateStore(tmp_path / "state.db") as store:
        for customer in first.customers:
            store.record_spec(customer.customer, {}, customer.path)
            for step in customer.steps:
                store.record_step(
                    customer.customer, step.step, "r1", succeeded=True,
                    input_hash=step.input_hash, inputs={},
                )  # fmt: skip
        # globex-bank's former subnet is held by another customer, which keeps it
        holder = legacy_allocation("globex-bank")
        record_allocations(
            store.connection,
            [
                legacy_allocation("acme-corp"),
                legacy_allocation("northwind-traders"),
                holder.__class__("globex-old", holder.subnet, holder.service_address),
            ],
        )
    plan = service.plan([]).plan
    by = {c.customer: c for c in plan.customers}
    assert not by["acme-corp"].changed and by["acme-corp"].address is not None
    assert by["acme-corp"].address.allocated
    globex = by["globex-bank"]
    assert globex.address is not None and not globex.address.allocated
    assert globex.address.moved_from == "10.39.198.0/24"
    running = {s.step: s.reason for s in globex.steps if s.runs}
    assert running == {
        "network": "subnet moves: 10.39.198.0/24 is also globex-old's, which keeps it",
        "servers": "subnet moves: 10.39.198.0/24 is also globex-old's, which keeps it",
        "application": "subnet moves: 10.39.198.0/24 is also globex-old's, which keeps it",
        "reporting": "subnet moves: 10.39.198.0/24 is also globex-old's, which keeps it",
        "verify": "runs after every change",
        "acceptance": "runs after every change",
        # live already: the public record and the firewall move with the address
        "go_live": "subnet moves: 10.39.198.0/24 is also globex-old's, which keeps it",
    }
    out = io.StringIO()
    plan_text(plan, out)
    assert (
        "  ~ subnet 10.39.198.0/24 -> 10.0.0.0/24 (to be allocated: "
        "10.39.198.0/24 is also globex-old's, which keeps it)\n"
    ) in out.getvalue()
