"""Where a spec's servers are placed, and what a tier's availability promise needs of them.

A pool's servers are spread over the zones it names, in turn (the catalog's first zone
when it names none). A tier with a ``high_availability`` rule needs at least so many
application servers and database servers (a primary and its replicas), each role
spread over at least so many zones: a spec below it is an error, ``ha-required``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from asp_provision.spec.diagnostics import Path_

if TYPE_CHECKING:
    from asp_provision.spec.catalog import Catalog, HighAvailability
    from asp_provision.spec.models import Pool

Report = Callable[[Path_, str, str, str], None]
POOLS: Path_ = ("spec", "servers", "pools")


def placement(pool: Pool, zones: Sequence[str]) -> list[str]:
    """The zone of each of ``pool``'s servers, in order (``zones``: the catalog's)."""
    return spread(pool.zones, pool.count, zones)


def spread(named: Sequence[str] | None, count: int, zones: Sequence[str]) -> list[str]:
    """The zone of each of ``count`` servers of a pool naming ``named`` (none: the first zone)."""
    chosen = list(named or []) or [zones[0]]
    return [chosen[i % len(chosen)] for i in range(count)]


def check_zones(pools: Sequence[Pool], catalog: Catalog, report: Report) -> None:
    """Every zone a pool names is one of the catalog's, and named once."""
    known = catalog.zones
    for i, pool in enumerate(pools):
        for j, zone in enumerate(pool.zones or []):
            where: Path_ = (*POOLS, i, "zones", j)
            if zone not in known:
                report(
                    where,
                    "unknown-zone",
                    f"unknown zone '{zone}'; the site's zones are {', '.join(known)}",
                    "error",
                )
            elif zone in (pool.zones or [])[:j]:
                report(where, "duplicate-zone", f"zone '{zone}' is listed twice", "error")


def check_high_availability(
    tier_name: str,
    rule: HighAvailability,
    pools: Sequence[Pool],
    catalog: Catalog,
    report: Report,
    with_db: bool = True,
) -> None:
    """``pools`` keep the tier's rule: enough servers of each role, over enough zones.

    ``with_db``: the application has a database (its catalog sizing asks for db cores, or
    the spec has db servers); one without is held to the application servers' rule only.
    """
    roles = [("app", rule.min_app_servers)]
    if with_db:
        roles.append(("db", rule.min_db_servers))
    for role, least in roles:
        mine = [(i, p) for i, p in enumerate(pools) if p.role == role]
        servers = sum(p.count for _, p in mine)
        used = {z for _, p in mine for z in placement(p, catalog.zones) if z in catalog.zones}
        where: Path_ = (*POOLS, mine[0][0]) if mine else POOLS
        wants = []
        if servers < least:
            wants.append(f"at least {least} {role} servers (it has {servers})")
        if len(used) < rule.min_zones:
            wants.append(
                f"{role} servers in at least {rule.min_zones} zones (they are in {len(used)})"
            )
        if wants:
            report(
                where,
                "ha-required",
                f"the {tier_name} tier is highly available: it needs {' and '.join(wants)}; "
                f"the site's zones are {', '.join(catalog.zones)}",
                "error",
            )
