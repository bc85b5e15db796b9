"""Addresses a workspace's inventory sets by hand: ``asp_subnet`` and ``asp_service_address``.

They win over the customer's allocation, so they are checked before anything runs: a
well-formed IPv4 network or address, and no overlap with any other customer's subnet
(allocated in the state or set by hand) or service address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asp_provision.config import shown
from asp_provision.errors import UsageError
from asp_provision.run.inventory import plain
from asp_provision.state.addresses import MAX_SUBNET_PREFIX, Allocation, service_address

SUBNET = "asp_subnet"
SERVICE = "asp_service_address"


@dataclass(frozen=True, slots=True)
class Override:
    """What the inventory sets for one customer."""

    customer: str
    subnet: ipaddress.IPv4Network | None = None
    service_address: ipaddress.IPv4Address | None = None

    def avoided(self) -> tuple[ipaddress.IPv4Network, ...]:
        """What allocations must stay clear of."""
        out = [self.subnet] if self.subnet is not None else []
        if self.service_address is not None:
            out.append(ipaddress.IPv4Network(self.service_address))
        return tuple(out)

    def effective(self, allocation: Allocation | None) -> tuple[str, str] | None:
        """The (subnet, service address) the customer uses, given its allocation."""
        if self.subnet is not None:
            service = self.service_address or ipaddress.IPv4Address(service_address(self.subnet))
            return str(self.subnet), str(service)
        if allocation is None:
            return None
        service = self.service_address or ipaddress.IPv4Address(allocation.service_address)
        return allocation.subnet, str(service)


def read_overrides(path: Path, hostvars: Mapping[str, Mapping[str, Any]]) -> dict[str, Override]:
    """The address overrides of every host of the inventory at ``path``; malformed is an error."""
    out: dict[str, Override] = {}
    for host, variables in sorted(hostvars.items()):
        if SUBNET not in variables and SERVICE not in variables:
            continue
        where = f"the inventory {shown(path)}: host {host}:"
        subnet = _subnet(plain(variables.get(SUBNET)), where)
        service = _address(plain(variables.get(SERVICE)), where)
        out[host] = Override(host, subnet, service)
    return out


def _well_formed(value: Any, name: str, where: str, example: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.isprintable() or value != value.strip():
        raise UsageError(
            f"{where} {name} must be written as plain text such as {example!r}, "
            f"without spaces, newlines or control characters (it is {value!r})"
        )
    return value


def _subnet(value: Any, where: str) -> ipaddress.IPv4Network | None:
    text = _well_formed(value, SUBNET, where, "10.42.7.0/24")
    if text is None:
        return None
    try:
        subnet = ipaddress.IPv4Network(text, strict=True)
    except ValueError as exc:
        raise UsageError(f"{where} {SUBNET} {text!r} is not an IPv4 network: {exc}") from None
    if "/" not in text or subnet.prefixlen > MAX_SUBNET_PREFIX:
        raise UsageError(
            f"{where} {SUBNET} {text!r} must be a network with a prefix length of at most "
            f"/{MAX_SUBNET_PREFIX}, such as 10.42.7.0/24"
        )
    return subnet


def _address(value: Any, where: str) -> ipaddress.IPv4Address | None:
    text = _well_formed(value, SERVICE, where, "10.42.7.10")
    if text is None:
        return None
    try:
        return ipaddress.IPv4Address(text)
    except ValueError as exc:
        raise UsageError(f"{where} {SERVICE} {text!r} is not an IPv4 address: {exc}") from None


def check_overlaps(
    path: Path, overrides: Mapping[str, Override], allocations: Mapping[str, Allocation]
) -> None:
    """Refuse an override that overlaps another customer's subnet or service address."""
    subnets: dict[str, tuple[ipaddress.IPv4Network, str]] = {
        c: (a.network, "allocated in the state") for c, a in allocations.items()
    }
    services: dict[str, tuple[str, str]] = {
        c: (a.service_address, "allocated in the state") for c, a in allocations.items()
    }
    for customer, override in overrides.items():
        if override.subnet is not None:
            subnets[customer] = (override.subnet, f"{SUBNET} in the inventory")
            services[customer] = (service_address(override.subnet), "in the inventory")
        if override.service_address is not None:
            services[customer] = (str(override.service_address), f"{SERVICE} in the inventory")
    for customer, override in sorted(overrides.items()):
        for other, (network, origin) in sorted(subnets.items()):
            if other == customer:
                continue
            if override.subnet is not None and override.subnet.overlaps(network):
                _refuse(path, customer, f"{SUBNET} {override.subnet}", other, network, origin)
            address = override.service_address
            if address is not None and address in network:
                _refuse(path, customer, f"{SERVICE} {address}", other, network, origin)
        mine = services.get(customer)
        for other, (address_text, origin) in sorted(services.items()):
            if other != customer and mine is not None and mine[0] == address_text:
                _refuse(
                    path, customer, f"service address {address_text}", other, address_text, origin
                )


def _refuse(path: Path, customer: str, what: str, other: str, theirs: object, origin: str) -> None:
    raise UsageError(
        f"the inventory {shown(path)} gives {customer} {what}, which overlaps {other}'s "
        f"{theirs} ({origin}); customers never share addresses: choose another"
    )
