"""Each customer's addresses: a subnet and a service address, allocated from a pool.

An allocation is recorded in the state by the first apply that needs it, kept for the
customer's life and released only by ``destroy``. Inside a subnet the service has the
address at offset 10 and servers take offset 11 upwards; the network address, offsets 1
to 9 (gateways, infrastructure) and the top five addresses are reserved.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from asp_provision.errors import UserError
from asp_provision.state.pool import (
    DEFAULT_POOL,
    DEFAULT_PREFIX,
    FIRST_SERVER_OFFSET,
    MAX_SUBNET_PREFIX,
    MIN_SUBNET_PREFIX,
    RESERVED_TOP,
    SERVICE_OFFSET,
    server_capacity,
)

if TYPE_CHECKING:
    import sqlite3

__all__ = [  # the pool's figures, kept importable from here
    "DEFAULT_POOL",
    "DEFAULT_PREFIX",
    "FIRST_SERVER_OFFSET",
    "MAX_SUBNET_PREFIX",
    "MIN_SUBNET_PREFIX",
    "RESERVED_TOP",
    "SERVICE_OFFSET",
    "server_capacity",
]

Network = ipaddress.IPv4Network


class PoolExhausted(UserError):
    """No free subnet of the wanted size is left in the address pool."""


@dataclass(frozen=True, slots=True)
class Allocation:
    """One customer's subnet and service address."""

    customer: str
    subnet: str
    service_address: str

    @property
    def network(self) -> Network:
        """The subnet as a network."""
        return ipaddress.IPv4Network(self.subnet)


def offset_address(subnet: Network, offset: int) -> str:
    """The address ``offset`` places into ``subnet``."""
    return str(subnet.network_address + offset)


def service_address(subnet: Network) -> str:
    """The service's address in ``subnet``."""
    return offset_address(subnet, SERVICE_OFFSET)


def legacy_allocation(customer: str) -> Allocation:
    """The /24 a customer got before addresses were allocated (16 bits of a hash of its slug).

    Customers applied then keep it: the migration records it as their allocation.
    """
    index = int(hashlib.sha1(customer.encode()).hexdigest()[:4], 16)
    subnet = ipaddress.IPv4Network(f"10.{index // 256}.{index % 256}.0/24")
    return Allocation(customer, str(subnet), service_address(subnet))


def free_subnet(pool: Network, prefix: int, taken: Iterable[Network]) -> Network | None:
    """The first subnet of ``prefix`` in ``pool`` that overlaps nothing ``taken``; None if full."""
    size = 1 << (32 - prefix)
    start, end = int(pool.network_address), int(pool.broadcast_address)
    spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in taken)
    candidate = start
    for low, high in spans:
        if high < candidate:
            continue
        if low > candidate + size - 1:
            break
        candidate = (high + 1 + size - 1) // size * size  # past it, aligned
    if candidate + size - 1 > end:
        return None
    return ipaddress.IPv4Network((candidate, prefix))


class Allocator:
    """Hands out subnets from a pool, one after the other, avoiding what is taken."""

    def __init__(self, pool: Network, prefix: int, taken: Iterable[Network]) -> None:
        self.pool = pool
        self.prefix = prefix
        self._taken: list[Network] = sorted(taken)

    def next(self, customer: str) -> Allocation:
        """The next free subnet, now taken by ``customer``."""
        subnet = free_subnet(self.pool, self.prefix, self._taken)
        if subnet is None:
            raise PoolExhausted(
                f"no free /{self.prefix} subnet left in the address pool {self.pool} for "
                f"{customer} ({len(self._taken)} subnets in use); widen address_pool in "
                "asp-provision.toml or destroy customers that left"
            )
        insort(self._taken, subnet)
        return Allocation(customer, str(subnet), service_address(subnet))


def read_allocations(conn: sqlite3.Connection) -> dict[str, Allocation]:
    """Every recorded allocation, by customer."""
    return {
        row[0]: Allocation(row[0], row[1], row[2])
        for row in conn.execute("SELECT customer, subnet, service_address FROM addresses")
    }


def record_allocations(conn: sqlite3.Connection, allocations: Iterable[Allocation]) -> None:
    """Insert allocations (inside the caller's transaction)."""
    conn.executemany(
        "INSERT INTO addresses (customer, subnet, service_address, allocated_at) "
        "VALUES (?, ?, ?, ?)",
        [(a.customer, a.subnet, a.service_address, time.time()) for a in allocations],
    )


def backfill(conn: sqlite3.Connection) -> None:
    """Record, for every customer already in the state, the subnet it has used.

    When two customers' legacy subnets are the same, the first by name keeps it; the
    other is left without an allocation, and its next plan moves it to a free subnet.
    """
    kept: dict[str, Allocation] = {}
    for (customer,) in conn.execute("SELECT customer FROM customers ORDER BY customer"):
        legacy = legacy_allocation(customer)
        kept.setdefault(legacy.subnet, legacy)
    record_allocations(conn, kept.values())


@dataclass(frozen=True, slots=True)
class Wanted:
    """Customers that need an allocation, and where to take it from."""

    customers: tuple[str, ...]
    pool: Network
    prefix: int
    avoid: tuple[Network, ...] = ()  # subnets set by hand (inventory overrides)

    @classmethod
    def default(cls) -> Wanted:
        """Nobody yet, from the default pool."""
        return cls((), ipaddress.IPv4Network(DEFAULT_POOL), DEFAULT_PREFIX)


def plan_allocations(
    recorded: dict[str, Allocation], wanted: Wanted
) -> tuple[dict[str, Allocation], list[Allocation]]:
    """Every allocation once ``wanted`` is served, and the new ones, in customer order."""
    taken = [a.network for a in recorded.values()] + list(wanted.avoid)
    allocator = Allocator(wanted.pool, wanted.prefix, taken)
    new = [allocator.next(c) for c in wanted.customers if c not in recorded]
    return {**recorded, **{a.customer: a for a in new}}, new


def allocate(conn: sqlite3.Connection, wanted: Wanted) -> dict[str, Allocation]:
    """Record an allocation for each customer of ``wanted`` without one (in a transaction)."""
    every, new = plan_allocations(read_allocations(conn), wanted)
    record_allocations(conn, new)
    return every
