"""Addresses allocated in the state: legacy subnets kept, a pool handed out, never shared."""

from __future__ import annotations

import ipaddress
import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from asp_provision.state.addresses import (
    Allocation,
    PoolExhausted,
    Wanted,
    free_subnet,
    legacy_allocation,
    server_capacity,
)
from asp_provision.state.schema import MIGRATIONS, SCHEMA_VERSION
from asp_provision.state.store import StateReader, StateStore

Net = ipaddress.IPv4Network


def pool(text: str = "10.0.0.0/8", prefix: int = 24, customers: tuple[str, ...] = ()) -> Wanted:
    return Wanted(customers, Net(text), prefix)


# what the playbooks derived before allocations: 10.(i // 256).(i % 256).0/24, with i the
# first 4 hex digits of sha1(slug); cust-234 and cust-624 collided
@pytest.mark.parametrize(
    ("customer", "subnet"),
    [
        ("acme-corp", "10.239.175.0/24"),
        ("globex-bank", "10.39.198.0/24"),
        ("northwind-traders", "10.170.178.0/24"),
        ("cust-234", "10.192.70.0/24"),
        ("cust-624", "10.192.70.0/24"),
    ],
)
def test_legacy_subnet_is_what_the_slug_gave(customer: str, subnet: str) -> None:
    legacy = legacy_allocation(customer)
    assert legacy == Allocation(customer, subnet, subnet.replace(".0/24", ".10"))


@pytest.mark.parametrize(
    ("prefix", "capacity"), [(24, 240), (23, 496), (26, 48), (27, 16), (16, 65520)]
)
def test_server_capacity_leaves_the_reserved_addresses(prefix: int, capacity: int) -> None:
    assert server_capacity(prefix) == capacity


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        ([], "10.0.0.0/24"),
        (["10.0.0.0/24"], "10.0.1.0/24"),
        (["10.0.1.0/24"], "10.0.0.0/24"),
        (["10.0.0.0/24", "10.0.1.0/24", "10.0.3.0/24"], "10.0.2.0/24"),
        (["10.0.0.0/22"], "10.0.4.0/24"),  # a larger subnet set by hand is skipped whole
        (["10.0.0.7/32"], "10.0.1.0/24"),  # so is a single address inside a candidate
        (["9.0.0.0/8"], "10.0.0.0/24"),  # outside the pool
    ],
)
def test_the_first_free_subnet_overlaps_nothing_taken(taken: list[str], expected: str) -> None:
    found = free_subnet(Net("10.0.0.0/8"), 24, [Net(t) for t in taken])
    assert str(found) == expected


def test_a_full_pool_has_no_free_subnet() -> None:
    assert free_subnet(Net("10.0.0.0/23"), 24, [Net("10.0.0.0/24"), Net("10.0.1.0/24")]) is None


def test_300_customers_get_300_distinct_subnets(tmp_path: Path) -> None:
    customers = tuple(f"cust-{n}" for n in range(300))
    with StateStore(tmp_path / "state.db") as store:
        every = store.allocate(pool(customers=customers))
    subnets = [Net(a.subnet) for a in every.values()]
    assert len(set(subnets)) == 300
    assert not any(a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1 :])
    assert every["cust-0"] == Allocation("cust-0", "10.0.0.0/24", "10.0.0.10")
    assert every["cust-299"].subnet == "10.1.43.0/24"
    # recorded: a second call gives the same, and allocates nothing new
    with StateStore(tmp_path / "state.db") as store:
        assert store.allocate(pool(customers=customers)) == every
    assert StateReader(tmp_path / "state.db").snapshot().addresses == every


def test_an_exhausted_pool_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with StateStore(db) as store:
        store.allocate(pool("192.168.0.0/23", 24, ("a-one",)))
        serial = store.serial()
        with pytest.raises(PoolExhausted) as refused:
            store.allocate(pool("192.168.0.0/23", 24, ("b-two", "c-three", "d-four")))
        assert store.serial() == serial
    assert "no free /24 subnet left in the address pool 192.168.0.0/23 for c-three" in str(
        refused.value
    )
    # nothing half-written: b-two, which fitted, was not recorded either
    assert set(StateReader(db).snapshot().addresses) == {"a-one"}


def test_destroy_releases_the_allocation(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with StateStore(db) as store:
        store.record_spec("a-one", {}, None)
        store.allocate(pool(customers=("a-one", "b-two")))
        store.forget_customer("a-one")
        assert set(store.snapshot().addresses) == {"b-two"}
        # the released subnet is handed out again
        assert store.allocate(pool(customers=("c-three",)))["c-three"].subnet == "10.0.0.0/24"


def _allocate_many(args: tuple[str, str, int]) -> dict[str, str]:
    db, prefix, count = args
    out = {}
    for n in range(count):
        customer = f"{prefix}-{n}"
        with StateStore(Path(db)) as store:
            out[customer] = store.allocate(pool(customers=(customer,)))[customer].subnet
    return out


def test_concurrent_applies_never_share_a_subnet(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    StateStore(db).open().close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as workers:
        found = workers.map(_allocate_many, [(str(db), "left", 15), (str(db), "right", 15)])
    subnets = [s for part in found for s in part.values()]
    assert len(subnets) == 30 and len(set(subnets)) == 30
    recorded = StateReader(db).snapshot().addresses
    assert {c: a.subnet for c, a in recorded.items()} == {**found[0], **found[1]}


def _v3_database(path: Path, customers: list[str]) -> None:
    """A state as version 3 wrote it, with applied customers."""
    conn = sqlite3.connect(path)
    for version in (1, 2, 3):
        script = MIGRATIONS[version]
        assert isinstance(script, str)
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 3")
    for customer in customers:
        conn.execute(
            "INSERT INTO customers (customer, spec_json, updated_at) VALUES (?, ?, ?)",
            (customer, json.dumps({"metadata": {"customer": customer}}), 1700000000.0),
        )
        conn.execute(
            "INSERT INTO steps (customer, step, status, input_hash, updated_at, run_id) "
            "VALUES (?, 'network', 'applied', 'h', 1700000000.0, 'r1')",
            (customer,),
        )
    conn.commit()
    conn.close()


def test_migration_keeps_the_addresses_customers_use(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    _v3_database(db, ["acme-corp", "cust-624", "cust-234", "globex-bank"])
    before = db.read_bytes()
    # reading never migrates the file, but sees the addresses the migration will record
    read = StateReader(db).snapshot().addresses
    assert db.read_bytes() == before
    with StateStore(db) as store:
        migrated = store.snapshot().addresses
    assert read == migrated
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    assert migrated == {
        "acme-corp": legacy_allocation("acme-corp"),
        "globex-bank": legacy_allocation("globex-bank"),
        # cust-234 and cust-624 shared 10.192.70.0/24: the first by name keeps it
        "cust-234": Allocation("cust-234", "10.192.70.0/24", "10.192.70.10"),
    }
    # the next allocation never lands on a kept subnet
    with StateStore(db) as store:
        moved = store.allocate(pool("10.192.70.0/23", 24, ("cust-624",)))["cust-624"]
    assert moved.subnet == "10.192.71.0/24"
