"""Addresses an inventory sets by hand: well-formed, and never another customer's."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

from asp_provision.errors import UsageError
from asp_provision.run.overrides import Override, check_overlaps, read_overrides
from asp_provision.state.addresses import Allocation

INV = Path("inventory")
ALLOCATED = {
    "acme-corp": Allocation("acme-corp", "10.0.0.0/24", "10.0.0.10"),
    "globex-bank": Allocation("globex-bank", "10.0.1.0/24", "10.0.1.10"),
}


def overrides(hostvars: dict[str, dict[str, Any]]) -> dict[str, Override]:
    return read_overrides(INV, hostvars)


def test_hosts_without_addresses_set_nothing() -> None:
    assert overrides({"acme-corp": {"ansible_host": "x"}}) == {}


def test_an_override_is_read_and_replaces_the_allocation() -> None:
    found = overrides(
        {
            "acme-corp": {"asp_subnet": "172.16.5.0/26"},
            "globex-bank": {"asp_service_address": {"__ansible_unsafe": "192.0.2.7"}},
        }
    )
    assert found["acme-corp"].effective(ALLOCATED["acme-corp"]) == (
        "172.16.5.0/26",
        "172.16.5.10",
    )
    assert found["globex-bank"].effective(ALLOCATED["globex-bank"]) == ("10.0.1.0/24", "192.0.2.7")
    check_overlaps(INV, found, ALLOCATED)  # nothing shared


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ({"asp_subnet": "10.42.7.0/24\n"}, "without spaces, newlines or control characters"),
        ({"asp_service_address": "10.42.7.10\nchain x"}, "without spaces, newlines"),
        ({"asp_subnet": "{{ lookup('pipe', 'id') }}"}, "is not an IPv4 network"),
        ({"asp_subnet": "10.42.7.5/24"}, "has host bits set"),
        ({"asp_subnet": "10.42.7.0/29"}, "at most /27"),
        ({"asp_subnet": "10.42.7.0"}, "at most /27"),
        ({"asp_service_address": "10.42.7.0/24"}, "is not an IPv4 address"),
        ({"asp_subnet": 42}, "plain text"),
    ],
)
def test_a_malformed_override_is_refused(variables: dict[str, Any], says: str) -> None:
    with pytest.raises(UsageError) as refused:
        overrides({"acme-corp": variables})
    assert "the inventory inventory: host acme-corp:" in str(refused.value)
    assert says in str(refused.value)


@pytest.mark.parametrize(
    ("hostvars", "says"),
    [
        # into another customer's allocation
        (
            {"acme-corp": {"asp_subnet": "10.0.1.0/25"}},
            "gives acme-corp asp_subnet 10.0.1.0/25, which overlaps globex-bank's "
            "10.0.1.0/24 (allocated in the state)",
        ),
        # a wider subnet covering another's
        (
            {"new-one": {"asp_subnet": "10.0.0.0/16"}},
            "gives new-one asp_subnet 10.0.0.0/16, which overlaps acme-corp's",
        ),
        # two overrides
        (
            {
                "acme-corp": {"asp_subnet": "172.16.0.0/24"},
                "globex-bank": {"asp_subnet": "172.16.0.128/25"},
            },
            "gives acme-corp asp_subnet 172.16.0.0/24, which overlaps globex-bank's "
            "172.16.0.128/25 (asp_subnet in the inventory)",
        ),
        # a service address inside another customer's subnet
        (
            {"acme-corp": {"asp_service_address": "10.0.1.99"}},
            "gives acme-corp asp_service_address 10.0.1.99, which overlaps globex-bank's",
        ),
        # one service address for two
        (
            {
                "acme-corp": {"asp_service_address": "192.0.2.7"},
                "globex-bank": {"asp_service_address": "192.0.2.7"},
            },
            "gives acme-corp service address 192.0.2.7, which overlaps globex-bank's",
        ),
    ],
)
def test_an_overlap_is_refused(hostvars: dict[str, dict[str, Any]], says: str) -> None:
    with pytest.raises(UsageError) as refused:
        check_overlaps(INV, overrides(hostvars), ALLOCATED)
    assert says in str(refused.value)


def test_an_override_of_its_own_allocation_is_fine() -> None:
    own = overrides({"acme-corp": {"asp_subnet": "10.0.0.0/25"}})
    check_overlaps(INV, own, ALLOCATED)
    assert own["acme-corp"].avoided() == (ipaddress.IPv4Network("10.0.0.0/25"),)
