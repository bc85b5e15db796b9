"""Values the roles write that take logic, derived in Python from a customer's effective spec.

Handed to the roles as data (``asp_derived``), beside the addresses (``asp_network``): the
roles only write them into configuration syntax, so the logic is here, where it is tested.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asp_provision.plan.addressing import NETWORK_READ, Network
from asp_provision.spec.availability import spread

DATABASE_ROLE = "db"
"""The pool role of the database servers: the first is the primary, the others its replicas."""

EXPORTER_PORT = 9100
"""Where each server's metrics exporter listens (Prometheus node exporter)."""


@dataclass(frozen=True, slots=True)
class QosClass:
    """A QoS class of the site's traffic shaper."""

    priority: int
    dscp: str
    guaranteed_pct: int


QOS_CLASSES: Mapping[str, QosClass] = {
    "premium": QosClass(1, "EF", 100),
    "business": QosClass(2, "AF31", 100),
    "best-effort": QosClass(3, "BE", 50),
}

# cron fields day-of-month, month and day-of-week of each schedule
_BACKUP_DAYS = {"daily": "* * *", "weekly": "* * 0", "monthly": "1 * *"}  # Sundays
_REPORT_DAYS = {"daily": "* * *", "weekly": "* * 1", "monthly": "1 * *"}  # Mondays
_BACKUP_HOUR, _REPORT_HOUR = 2, 6

READS: Mapping[str, tuple[str, ...]] = {
    "ident": (),  # the customer's slug: its identity, which never changes
    "allow_v4": ("spec.network.allow_from",),
    "allow_v6": ("spec.network.allow_from",),
    "qos": ("spec.network.qos", "spec.network.bandwidth_mbps"),
    "backup_cron": ("spec.platform.storage.backups.schedule",),
    "report_cron": ("spec.reporting.schedule",),
    "alerts": ("spec.sla.response_minutes", "spec.sla.resolution_hours", "spec.sla.support_hours"),
    "server_totals": NETWORK_READ,
    "scrape_targets": (*NETWORK_READ, "tier.name"),
    "servers": NETWORK_READ,  # the pools' zones are among their fields
    "firewall": ("spec.network.allow_from",),
    "firewall_live": ("spec.network.allow_from",),
    "firewall_staging": (),
    "live": (),  # the customer's phase, from the state
    "suspended": (),
    "web_allow": ("spec.network.allow_from",),
    "conversion_source": ("spec.onboarding.data_conversion.file",),
    "conversion": ("spec.onboarding.data_conversion",),
    "training_sessions": ("spec.onboarding.training.sessions",),
    "go_live_date": ("spec.onboarding.go_live",),
}
"""What each value of ``asp_derived`` is computed from, as a step's ``reads`` names it."""


def ident(customer: str) -> str:
    """The customer's name in nftables and nginx identifiers (letters, digits, underscores)."""
    return "asp_" + customer.replace("-", "_")


def cron_minute(customer: str, which: int) -> int:
    """A minute of the hour for the customer's ``which``-th job, spread by its name.

    Customers' jobs fall on different minutes so that they do not all start at once; the
    minute stays the same for a customer from run to run.
    """
    digest = hashlib.sha1(customer.encode(), usedforsecurity=False).hexdigest()
    return int(digest[6 * which : 6 * which + 6], 16) % 60


def allowlist(cidrs: list[str], version: int) -> list[str]:
    """The networks of ``cidrs`` of one IP version (4 or 6), in the spec's order.

    Told apart by their form (only IPv6 has a colon), so that a malformed entry, which
    validate refuses and the network role checks, never stops the run here.
    """
    return [c for c in cidrs if (6 if ":" in c else 4) == version]


def admitted(
    allow_from: Sequence[str], staging: Sequence[str], live: bool, suspended: bool = False
) -> dict[str, Any]:
    """The networks the firewall admits to the service, by IP version.

    Until the customer goes live, only the ASP's staging networks; from then on the
    spec's allowlist too (the staging networks stay, for support), unless it is
    suspended. Each network once, the staging networks first.
    """
    cidrs = list(dict.fromkeys([*staging, *allow_from])) if live else list(dict.fromkeys(staging))
    return {
        "v4": allowlist(cidrs, 4),
        "v6": allowlist(cidrs, 6),
        "live": live,
        "suspended": suspended,
    }


def web_allow(allow_from: Sequence[str], staging: Sequence[str]) -> list[str]:
    """Who the web server lets in: the spec's allowlist and the staging networks.

    The firewall decides which of them reach it in each phase.
    """
    return list(dict.fromkeys([*allow_from, *staging]))


def go_live_date(onboarding: Mapping[str, Any] | None) -> str | None:
    """The day billing starts at go-live: the spec's go-live date (None: the day it runs)."""
    given = (onboarding or {}).get("go_live")
    return str(given) if given else None


def conversion_source(onboarding: Mapping[str, Any] | None, workspace: Path | None) -> str | None:
    """The absolute path of the data conversion's source file (None when there is none)."""
    conversion = (onboarding or {}).get("data_conversion") or {}
    if workspace is None or not conversion.get("file"):
        return None
    return str(workspace / str(conversion["file"]))


def conversion(onboarding: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What the data conversion loads: format, key, fields and the source's SHA-256.

    None when the spec names no file to load (no conversion, or only the estimate's figures).
    """
    found = (onboarding or {}).get("data_conversion") or {}
    if not found.get("file"):
        return None
    return {name: found.get(name) for name in ("format", "key", "fields", "sha256")}


def training_sessions(onboarding: Mapping[str, Any] | None) -> list[Any] | None:
    """The training sessions to invite to (None when the spec lists none, or only counts them)."""
    sessions = ((onboarding or {}).get("training") or {}).get("sessions")
    return sessions if isinstance(sessions, list) else None


def qos(name: str, bandwidth_mbps: int) -> dict[str, Any]:
    """The class of ``name`` and the rate it guarantees (rounded up to a whole Mbit)."""
    cls = QOS_CLASSES[name]
    return {
        "priority": cls.priority,
        "dscp": cls.dscp,
        "rate_mbit": -(-bandwidth_mbps * cls.guaranteed_pct // 100),
    }


def alerts(sla: Mapping[str, Any]) -> dict[str, Any]:
    """Thresholds of the SLA alerts in seconds, and how loud a late ticket is."""
    return {
        "response_seconds": int(sla["response_minutes"]) * 60,
        "resolution_seconds": int(sla["resolution_hours"]) * 3600,
        # a promise around the clock pages someone; business hours can wait for morning
        "ticket_severity": "critical" if sla["support_hours"] == "24x7" else "warning",
    }


def server_totals(network: Network) -> dict[str, int]:
    """How many servers, cores, GB of memory and of disk the customer has."""
    servers = network.servers
    return {
        "servers": len(servers),
        "cpu_cores": sum(s.cpu_cores for s in servers),
        "memory_gb": sum(s.memory_gb for s in servers),
        "disk_gb": sum(s.disk_gb for s in servers),
    }


def scrape_targets(customer: str, tier: str, network: Network) -> list[dict[str, Any]]:
    """Prometheus file-based targets: one group per pool role, in pool order."""
    roles = list(dict.fromkeys(s.role for s in network.servers))
    return [
        {
            "targets": [f"{s.address}:{EXPORTER_PORT}" for s in network.servers if s.role == role],
            "labels": {"customer": customer, "tier": tier, "role": role},
        }
        for role in roles
    ]


def servers(
    pools: Sequence[Mapping[str, Any]], network: Network, zones: Sequence[str]
) -> list[dict[str, Any]]:
    """Every server with its placement zone and, for a database server, its replication.

    A pool's servers are spread over the zones it names, in turn (the site's first zone
    when it names none), so a primary and its replica land in different zones whenever
    the pool names two. The first database server is the primary; every other one is a
    replica of it.
    """
    placed: list[str] = []
    for pool in pools:
        placed += spread(pool.get("zones"), int(pool["count"]), zones)
    databases = [s.name for s in network.servers if s.role == DATABASE_ROLE]
    out: list[dict[str, Any]] = []
    for server, zone in zip(network.servers, placed, strict=True):
        entry = {**server.as_dict(), "zone": zone, "replication": None}
        if server.role == DATABASE_ROLE:
            primary = databases[0]
            entry["replication"] = (
                {"role": "primary", "replicas": databases[1:]}
                if server.name == primary
                else {"role": "replica", "primary": primary}
            )
        out.append(entry)
    return out


def derive(
    customer: str,
    document: Mapping[str, Any],
    network: Network,
    zones: Sequence[str],
    *,
    live: bool = False,
    suspended: bool = False,
    staging: Sequence[str] = (),
    workspace: Path | None = None,
) -> dict[str, Any]:
    """The host variable ``asp_derived`` of a customer (``document``: its effective spec).

    ``zones``: the site's placement zones (the catalog's), first the default one;
    ``live``: the customer has gone live (its go_live step was applied); ``suspended``:
    its service is closed to its users, so whichever step writes the firewall admits only
    the staging networks (resume reopens it); ``staging``: the catalog's staging networks;
    ``workspace``: where a data conversion's source is.
    """
    spec = document["spec"]
    net = spec["network"]
    onboarding = spec.get("onboarding")
    return {
        # the firewall of the customer's phase; go-live's, which opens unless suspended
        "firewall": admitted(net["allow_from"], staging, live and not suspended, suspended),
        "firewall_live": admitted(net["allow_from"], staging, not suspended, suspended),
        "firewall_staging": admitted(net["allow_from"], staging, False),
        "live": live,
        "suspended": suspended,
        "web_allow": web_allow(net["allow_from"], staging),
        "conversion_source": conversion_source(onboarding, workspace),
        "conversion": conversion(onboarding),
        "training_sessions": training_sessions(onboarding),
        "go_live_date": go_live_date(onboarding),
        "ident": ident(customer),
        "allow_v4": allowlist(net["allow_from"], 4),
        "allow_v6": allowlist(net["allow_from"], 6),
        "qos": qos(net["qos"], int(net["bandwidth_mbps"])),
        "backup_cron": (
            f"{cron_minute(customer, 0)} {_BACKUP_HOUR} "
            f"{_BACKUP_DAYS[spec['platform']['storage']['backups']['schedule']]}"
        ),
        "report_cron": (
            f"{cron_minute(customer, 1)} {_REPORT_HOUR} "
            f"{_REPORT_DAYS[spec['reporting']['schedule']]}"
        ),
        "alerts": alerts(spec["sla"]),
        "server_totals": server_totals(network),
        "scrape_targets": scrape_targets(customer, document["tier"]["name"], network),
        "servers": servers(spec["servers"]["pools"], network, zones),
    }
