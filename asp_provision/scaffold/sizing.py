"""The servers and storage a new spec starts with, from the catalog's sizing rules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from asp_provision.spec.catalog import HighAvailability, Sizing

MAX_CORES_PER_SERVER = 32
"""The largest app server the house builds; more cores mean more servers."""

APP_DISK_GB = 100
DB_DISK_GB = 200


@dataclass(frozen=True, slots=True)
class PoolSize:
    """A pool of identical servers."""

    count: int
    cpu_cores: int
    memory_gb: int
    disk_gb: int
    zones: tuple[str, ...] = ()
    """The zones the servers are spread over; none: the catalog's first."""

    def as_dict(self) -> dict[str, Any]:
        """As template data."""
        return {
            "count": self.count,
            "cpu_cores": self.cpu_cores,
            "memory_gb": self.memory_gb,
            "disk_gb": self.disk_gb,
            "zones": list(self.zones),
        }


def _spread(ha: HighAvailability | None, zones: list[str]) -> tuple[str, ...]:
    return tuple(zones[: ha.min_zones]) if ha is not None and ha.min_zones > 1 else ()


def app_pool(
    rule: Sizing, seats: int, ha: HighAvailability | None = None, zones: list[str] | None = None
) -> PoolSize:
    """The catalog's app cores for ``seats``, over at least its minimum of servers.

    Cores per server are rounded up to an even number; memory follows the cores. A tier
    with a high-availability rule (``ha``) gets its servers, over its first ``zones``.
    """
    cores = rule.app_cores(seats)
    least = max(rule.min_app_servers, ha.min_app_servers if ha else 1)
    count = max(least, math.ceil(cores / MAX_CORES_PER_SERVER))
    per_server = math.ceil(cores / count)
    per_server += per_server % 2
    memory = per_server * rule.memory_gb_per_app_core
    return PoolSize(count, per_server, memory, APP_DISK_GB, _spread(ha, zones or []))


def db_pool(
    rule: Sizing, ha: HighAvailability | None = None, zones: list[str] | None = None
) -> PoolSize | None:
    """The database servers with the catalog's db cores, or None when it asks for none.

    One server; a primary and replicas (``ha.min_db_servers`` in all) over ``ha``'s zones.
    """
    if rule.db_cores == 0:
        return None
    cores = rule.db_cores
    count = ha.min_db_servers if ha else 1
    memory = cores * rule.memory_gb_per_app_core
    return PoolSize(count, cores, memory, DB_DISK_GB, _spread(ha, zones or []))


def storage_step(size_gb: int) -> int:
    """The step storage is sold in: 50 GB up to 1 TB, 100 GB up to 10 TB, then 1 TB."""
    if size_gb <= 1000:
        return 50
    if size_gb <= 10_000:
        return 100
    return 1000


def storage_gb(rule: Sizing, seats: int) -> int:
    """The catalog's storage for ``seats``, rounded up to the step it is sold in."""
    need = rule.storage_gb(seats)
    step = storage_step(need)
    return math.ceil(need / step) * step
