"""The servers and storage a new spec starts with, from the catalog's sizing rules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from asp_provision.spec.catalog import Sizing

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

    def as_dict(self) -> dict[str, Any]:
        """As template data."""
        return {
            "count": self.count,
            "cpu_cores": self.cpu_cores,
            "memory_gb": self.memory_gb,
            "disk_gb": self.disk_gb,
        }


def app_pool(rule: Sizing, seats: int) -> PoolSize:
    """The catalog's app cores for ``seats``, over at least its minimum of servers.

    Cores per server are rounded up to an even number; memory follows the cores.
    """
    cores = rule.app_cores(seats)
    count = max(rule.min_app_servers, math.ceil(cores / MAX_CORES_PER_SERVER))
    per_server = math.ceil(cores / count)
    per_server += per_server % 2
    return PoolSize(count, per_server, per_server * rule.memory_gb_per_app_core, APP_DISK_GB)


def db_pool(rule: Sizing) -> PoolSize | None:
    """One database server with the catalog's db cores, or None when it asks for none."""
    if rule.db_cores == 0:
        return None
    cores = rule.db_cores
    return PoolSize(1, cores, cores * rule.memory_gb_per_app_core, DB_DISK_GB)


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
