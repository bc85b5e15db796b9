"""Servers and storage in a new spec follow the catalog's sizing rules, one test per rule."""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml

from asp_provision.scaffold.sizing import MAX_CORES_PER_SERVER, storage_step
from asp_provision.spec.catalog import Sizing
from tests.scaffold.helpers import catalog, deal_values, make

APPS = ["hosted-email", "crm-suite", "erp-core"]
SEATS = [1, 9, 10, 11, 16, 50, 333, 1000, 2500, 9999]


def generated(app: str, seats: int) -> tuple[dict[str, Any], Sizing]:
    values = deal_values(app=app, seats=str(seats), admin=None)
    spec = yaml.safe_load(make(values).text)["spec"]
    return spec, catalog().applications[app].sizing


def pool(spec: dict[str, Any], role: str) -> dict[str, Any]:
    (found,) = [p for p in spec["servers"]["pools"] if p["role"] == role]
    return found


@pytest.mark.parametrize("seats", SEATS)
@pytest.mark.parametrize("app", APPS)
def test_app_cores_cover_the_seats_per_core_rule(app: str, seats: int) -> None:
    spec, rule = generated(app, seats)
    app_pool = pool(spec, "app")
    cores = app_pool["count"] * app_pool["cpu_cores"]
    assert cores >= math.ceil(seats / rule.seats_per_app_core)
    # no more than rounding each server up to an even number of cores adds
    assert cores - rule.app_cores(seats) < 2 * app_pool["count"]


@pytest.mark.parametrize("seats", SEATS)
@pytest.mark.parametrize("app", APPS)
def test_app_servers_are_at_least_the_minimum(app: str, seats: int) -> None:
    spec, rule = generated(app, seats)
    app_pool = pool(spec, "app")
    assert app_pool["count"] >= rule.min_app_servers
    assert app_pool["cpu_cores"] % 2 == 0
    assert app_pool["cpu_cores"] <= MAX_CORES_PER_SERVER


@pytest.mark.parametrize("seats", SEATS)
@pytest.mark.parametrize("app", APPS)
def test_memory_follows_the_cores(app: str, seats: int) -> None:
    spec, rule = generated(app, seats)
    app_pool = pool(spec, "app")
    assert app_pool["memory_gb"] == app_pool["cpu_cores"] * rule.memory_gb_per_app_core


@pytest.mark.parametrize("app", APPS)
def test_the_database_server_has_the_catalogs_cores(app: str) -> None:
    spec, rule = generated(app, 50)
    db = pool(spec, "db")
    assert (db["count"], db["cpu_cores"]) == (1, rule.db_cores)


@pytest.mark.parametrize("seats", SEATS)
@pytest.mark.parametrize("app", APPS)
def test_storage_covers_the_seats_rounded_up_to_a_step(app: str, seats: int) -> None:
    spec, rule = generated(app, seats)
    size = spec["platform"]["storage"]["size_gb"]
    need = rule.storage_gb(seats)
    step = storage_step(need)
    assert size >= need
    assert size % step == 0
    assert size - need < step


def test_storage_steps() -> None:
    assert [storage_step(gb) for gb in (10, 1000, 1001, 10_000, 10_001)] == [
        50,
        50,
        100,
        100,
        1000,
    ]


@pytest.mark.parametrize("seats", SEATS)
@pytest.mark.parametrize("app", APPS)
def test_the_checker_finds_nothing_undersized(app: str, seats: int) -> None:
    spec = make(deal_values(app=app, seats=str(seats), admin=None))
    assert spec.warnings == ()


def test_a_large_deal_is_split_over_servers() -> None:
    spec, rule = generated("hosted-email", 5000)
    app_pool = pool(spec, "app")
    assert rule.app_cores(5000) == 500
    assert app_pool["count"] == math.ceil(500 / MAX_CORES_PER_SERVER)
    assert app_pool["count"] * app_pool["cpu_cores"] >= 500
