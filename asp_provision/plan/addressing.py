"""Addresses in a plan and a run: each customer's subnet, service address and servers.

Computed here and handed to the playbooks as data (``asp_network``); the playbooks only
write them into configuration syntax.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from asp_provision.plan.model import Address, Change, CustomerPlan, StepPlan
from asp_provision.plan.steps import FOLLOWS_REASON, STEPS, follows
from asp_provision.state.addresses import (
    FIRST_SERVER_OFFSET,
    Wanted,
    legacy_allocation,
    offset_address,
    plan_allocations,
    server_capacity,
    service_address,
)
from asp_provision.state.store import Snapshot


@dataclass(frozen=True, slots=True)
class Server:
    """One server of one pool, with its address."""

    name: str
    role: str
    cpu_cores: int
    memory_gb: int
    disk_gb: int
    address: str

    def as_dict(self) -> dict[str, Any]:
        """The server as the playbooks read it."""
        return {
            "name": self.name,
            "role": self.role,
            "cpu_cores": self.cpu_cores,
            "memory_gb": self.memory_gb,
            "disk_gb": self.disk_gb,
            "address": self.address,
        }


@dataclass(frozen=True, slots=True)
class Network:
    """What the playbooks need of a customer's addresses."""

    subnet: str
    service_address: str
    servers: tuple[Server, ...]

    @property
    def app_servers(self) -> tuple[Server, ...]:
        """The servers behind the reverse proxy: the ``app`` pool, else the first pool."""
        apps = tuple(s for s in self.servers if s.role == "app")
        if apps or not self.servers:
            return apps
        return tuple(s for s in self.servers if s.role == self.servers[0].role)

    def variables(self) -> dict[str, Any]:
        """The host variable ``asp_network``."""
        return {
            "subnet": self.subnet,
            "service_address": self.service_address,
            "servers": [s.as_dict() for s in self.servers],
            "app_servers": [s.as_dict() for s in self.app_servers],
        }


NETWORK_READ = ("spec.servers.pools",)
"""What :func:`layout` reads of the effective spec (beside the allocation): a step that
uses ``asp_network`` declares these."""


def pool_servers(pools: Iterable[dict[str, Any]]) -> int:
    """How many servers the pools of an (effective) spec ask for."""
    return sum(int(p["count"]) for p in pools)


def layout(
    customer: str, pools: list[dict[str, Any]], subnet: str, service: str | None = None
) -> Network:
    """Every server of every pool in pool order, ``<customer>-<role>-<n>``, from offset 11 up.

    ``service`` defaults to offset 10 of the subnet. Pools with more servers than the
    subnet holds are a :class:`ValueError` (validate refuses them first).
    """
    network = ipaddress.IPv4Network(subnet, strict=False)
    wanted = pool_servers(pools)
    if wanted > server_capacity(network.prefixlen):
        raise ValueError(
            f"the pools ask for {wanted} servers, more than the "
            f"{server_capacity(network.prefixlen)} the subnet {network} holds"
        )
    servers: list[Server] = []
    for pool in pools:
        for n in range(1, int(pool["count"]) + 1):
            servers.append(
                Server(
                    name=f"{customer}-{pool['role']}-{n}",
                    role=str(pool["role"]),
                    cpu_cores=int(pool["cpu_cores"]),
                    memory_gb=int(pool["memory_gb"]),
                    disk_gb=int(pool["disk_gb"]),
                    address=offset_address(network, FIRST_SERVER_OFFSET + len(servers)),
                )
            )
    return Network(str(network), service or service_address(network), tuple(servers))


def planned_addresses(customers: list[str], state: Snapshot, wanted: Wanted) -> dict[str, Address]:
    """The address of each of ``customers``: as recorded, or the one apply will allocate."""
    request = Wanted(tuple(customers), wanted.pool, wanted.prefix, wanted.avoid)
    every, new = plan_allocations(state.addresses, request)
    fresh = {a.customer for a in new}
    holders = {a.subnet: a.customer for a in state.addresses.values()}
    out: dict[str, Address] = {}
    for customer in customers:
        allocation = every[customer]
        moved_from, note = _moved(customer, state, holders) if customer in fresh else (None, None)
        out[customer] = Address(
            subnet=allocation.subnet,
            service_address=allocation.service_address,
            allocated=customer not in fresh,
            moved_from=moved_from,
            note=note,
        )
    return out


def _moved(
    customer: str, state: Snapshot, holders: dict[str, str]
) -> tuple[str | None, str | None]:
    """Where an applied customer without an allocation was, and why it moves."""
    recorded = state.customers.get(customer)
    if recorded is None or not any(s.input_hash for s in recorded.steps.values()):
        return None, None
    legacy = legacy_allocation(customer)
    holder = holders.get(legacy.subnet)
    if holder is None:
        return legacy.subnet, f"no address was recorded for {customer}"
    return legacy.subnet, f"{legacy.subnet} is also {holder}'s, which keeps it"


def with_address(
    plan: CustomerPlan, address: Address, hours: dict[str, dict[str, float]]
) -> CustomerPlan:
    """``plan`` with its address; a customer that moves runs every step writing addresses."""
    if address.moved_from is None:
        return plan.model_copy(update={"address": address})
    change = Change(op="~", path="subnet", before=address.moved_from, after=address.subnet)
    reason = f"subnet moves: {address.note}"
    steps: list[StepPlan] = []
    for step in plan.steps:
        watched = follows(step.step)
        if step.action == "no-op" and any(s.runs for s in steps if s.step in watched):
            update: dict[str, Any] = {"action": "update", "reason": FOLLOWS_REASON}
            steps.append(step.model_copy(update=update).with_hours(hours[step.step]))
        else:
            steps.append(_moving(step, change, reason, hours))
    return plan.model_copy(
        update={
            "address": address,
            "steps": steps,
            "estimate_hours": round(sum(s.hours for s in steps), 2),
        }
    )


def _moving(
    step: StepPlan, change: Change, reason: str, hours: dict[str, dict[str, float]]
) -> StepPlan:
    if not STEPS[step.step].addresses or step.input_hash is None:
        return step  # writes no address, or has nothing to do for the spec
    elif step.runs:
        return step.model_copy(update={"changes": [*step.changes, change]})
    else:
        update = {"action": "update", "reason": reason, "changes": [change]}
    return step.model_copy(update=update).with_hours(hours[step.step])
