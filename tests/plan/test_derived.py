"""Values the roles write that take logic, derived in Python (``asp_derived``).

The expected values are those the site held when the playbooks derived them in Jinja:
moving the logic here changes no file of a provisioned site.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from asp_provision.plan import derived
from asp_provision.plan.addressing import Network, layout
from asp_provision.run.inventory import plain
from tests.plan.reads import undeclared

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "playbooks_fixture" / "inventory.json"


def _pool(role: str, count: int, cores: int, memory: int, disk: int) -> dict[str, object]:
    return {"role": role, "count": count, "cpu_cores": cores, "memory_gb": memory, "disk_gb": disk}


ZONES = ("zone-a", "zone-b", "zone-c")  # the default catalog's

ACME = layout(
    "acme-corp", [_pool("app", 2, 4, 16, 200), _pool("db", 1, 8, 32, 500)], "10.239.175.0/24"
)


def test_identifiers_replace_hyphens() -> None:
    assert derived.ident("acme-corp") == "asp_acme_corp"
    assert derived.ident("globex-industries") == "asp_globex_industries"


def test_cron_minutes_are_spread_by_name_and_stable() -> None:
    # backup (first) and report (second) jobs, as the sites have them
    assert [derived.cron_minute("acme-corp", i) for i in (0, 1)] == [37, 41]
    assert [derived.cron_minute("globex-industries", i) for i in (0, 1)] == [17, 44]


def test_the_allowlist_splits_by_ip_version_in_spec_order() -> None:
    cidrs = ["203.0.113.0/24", "2001:db8:42::/48", "198.51.100.7/32", "::ffff:0:0/96"]
    assert derived.allowlist(cidrs, 4) == ["203.0.113.0/24", "198.51.100.7/32"]
    assert derived.allowlist(cidrs, 6) == ["2001:db8:42::/48", "::ffff:0:0/96"]


@pytest.mark.parametrize(
    ("name", "bandwidth", "expected"),
    [
        ("premium", 500, {"priority": 1, "dscp": "EF", "rate_mbit": 500}),
        ("business", 100, {"priority": 2, "dscp": "AF31", "rate_mbit": 100}),
        ("best-effort", 100, {"priority": 3, "dscp": "BE", "rate_mbit": 50}),
        ("best-effort", 25, {"priority": 3, "dscp": "BE", "rate_mbit": 13}),  # rounded up
        ("best-effort", 1, {"priority": 3, "dscp": "BE", "rate_mbit": 1}),
    ],
)
def test_the_qos_class_and_its_guaranteed_rate(
    name: str, bandwidth: int, expected: dict[str, Any]
) -> None:
    assert derived.qos(name, bandwidth) == expected


def test_alert_thresholds_in_seconds_and_severity_by_support_hours() -> None:
    gold = {"response_minutes": 30, "resolution_hours": 4, "support_hours": "24x7"}
    assert derived.alerts(gold) == {
        "response_seconds": 1800,
        "resolution_seconds": 14400,
        "ticket_severity": "critical",
    }
    silver = {"response_minutes": 240, "resolution_hours": 24, "support_hours": "business"}
    assert derived.alerts(silver)["ticket_severity"] == "warning"


def test_server_totals_and_scrape_targets_follow_the_pools() -> None:
    assert derived.server_totals(ACME) == {
        "servers": 3,
        "cpu_cores": 16,
        "memory_gb": 64,
        "disk_gb": 900,
    }
    assert derived.scrape_targets("acme-corp", "gold", ACME) == [
        {
            "targets": ["10.239.175.11:9100", "10.239.175.12:9100"],
            "labels": {"customer": "acme-corp", "tier": "gold", "role": "app"},
        },
        {
            "targets": ["10.239.175.13:9100"],
            "labels": {"customer": "acme-corp", "tier": "gold", "role": "db"},
        },
    ]
    assert derived.scrape_targets("x", "gold", Network("10.0.0.0/24", "10.0.0.10", ())) == []


def test_servers_are_spread_over_their_zones_and_the_first_database_is_the_primary() -> None:
    pools = [
        {**_pool("app", 3, 8, 32, 200), "zones": ["zone-a", "zone-b"]},
        {**_pool("db", 2, 16, 64, 500), "zones": ["zone-b", "zone-c"]},
        _pool("cache", 1, 2, 4, 50),
    ]
    network = layout("globex-bank", pools, "10.0.4.0/24")
    servers = derived.servers(pools, network, ZONES)
    assert [(s["name"], s["zone"], s["replication"]) for s in servers] == [
        ("globex-bank-app-1", "zone-a", None),
        ("globex-bank-app-2", "zone-b", None),
        ("globex-bank-app-3", "zone-a", None),
        ("globex-bank-db-1", "zone-b", {"role": "primary", "replicas": ["globex-bank-db-2"]}),
        ("globex-bank-db-2", "zone-c", {"role": "replica", "primary": "globex-bank-db-1"}),
        ("globex-bank-cache-1", "zone-a", None),  # a pool naming no zone: the site's first
    ]
    assert servers[3]["address"] == "10.0.4.14"


def _fixture_hosts() -> dict[str, dict[str, Any]]:
    hosts = json.loads(FIXTURE.read_text(encoding="utf-8"))["all"]["hosts"]
    return {name: plain(h) for name, h in hosts.items()}


@pytest.mark.parametrize("customer", sorted(_fixture_hosts()))
def test_the_playbook_fixture_holds_what_asp_provision_derives(customer: str) -> None:
    host = _fixture_hosts()[customer]
    network = layout(
        customer,
        host["asp_spec"]["servers"]["pools"],
        host["asp_network"]["subnet"],
        host["asp_network"]["service_address"],
    )
    assert host["asp_network"] == network.variables()
    document = {"spec": host["asp_spec"], "tier": host["asp_tier"]}
    # the fixture runs every step, go_live included: its customers are live
    assert host["asp_derived"] == derived.derive(customer, document, network, ZONES, live=True)


def test_every_derived_value_declares_what_it_is_computed_from() -> None:
    assert set(derived.READS) == set(derived.derive("acme-corp", _acme_document(), ACME, ZONES))
    for name, reads in derived.READS.items():
        assert not undeclared(set(reads), ("spec", "tier", "metadata")), name


def _acme_document() -> dict[str, Any]:
    return {"spec": _fixture_hosts()["acme-corp"]["asp_spec"], "tier": {"name": "gold"}}


@pytest.mark.parametrize(
    ("live", "suspended", "firewall", "go_live"),
    [
        (False, False, "staging", "open"),  # onboarding: go-live opens it
        (True, False, "open", "open"),
        (True, True, "staging", "staging"),  # nothing reopens a suspended service
    ],
)
def test_the_firewall_of_each_phase(
    live: bool, suspended: bool, firewall: str, go_live: str
) -> None:
    staging = ["10.255.0.0/16"]
    allow = _acme_document()["spec"]["network"]["allow_from"]
    found = derived.derive(
        "acme-corp", _acme_document(), ACME, ZONES, live=live, suspended=suspended, staging=staging
    )
    admitted = {"staging": staging, "open": [*staging, *allow]}
    assert found["firewall"]["v4"] == admitted[firewall]
    assert found["firewall_live"]["v4"] == admitted[go_live]
    assert found["firewall_staging"]["v4"] == staging
    assert (found["live"], found["suspended"]) == (live, suspended)
    assert found["firewall"]["suspended"] is suspended
