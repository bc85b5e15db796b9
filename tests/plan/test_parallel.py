"""Plans of many specs: what was computed where each spec was checked is what the planner makes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

from asp_provision.config import Workspace
from asp_provision.plan.model import Plan
from asp_provision.plan.planner import make_plan
from asp_provision.plan.schedule import with_projections
from asp_provision.service import Service
from asp_provision.spec.batch import PARALLEL_FROM
from tests.cli.helpers import ROOT


def test_hashes_from_the_workers_are_those_the_planner_makes(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    text = (ROOT / "specs" / "acme-corp.yaml").read_text()
    for i in range(PARALLEL_FROM + 2):
        name = f"cust-{i:03d}"
        body = (
            text.replace("acme-corp", name)
            .replace("mail.acme", f"mail.{name}")
            .replace("bandwidth_mbps: 100", f"bandwidth_mbps: {50 + i}")
        )
        (specs / f"{name}.yaml").write_text(body)
    shutil.copy(ROOT / "catalog.yaml", tmp_path / "catalog.yaml")
    service = Service(Workspace(tmp_path))

    desired = service.desired([]).desired
    assert all(d.facts and d.model is None for d in desired)  # made by the workers
    snapshot = service.state_reader().snapshot()
    by_workers = make_plan(desired, snapshot, service.catalog, "catalog")
    here = [dataclasses.replace(d, facts=None) for d in desired]
    by_planner = make_plan(here, snapshot, service.catalog, "catalog")

    def steps(plan: Plan) -> list[tuple[str, str, str]]:
        return [(c.customer, s.step, s.input_hash) for c in plan.customers for s in c.steps]

    assert steps(by_workers) == steps(by_planner)
    # names, hours, sizing and charges too: the whole plan is the same
    assert by_workers.model_dump(exclude={"created_at"}) == by_planner.model_dump(
        exclude={"created_at"}
    )

    # the go-live projected from the workers' facts is the one projected from the specs
    def today(zone: str | None) -> dt.date:
        return dt.date(2026, 12, 10)

    projected = with_projections(by_workers, desired, service.catalog, today)
    assert projected == with_projections(by_workers, here, service.catalog, today)
    assert {c.go_live_projected for c in projected.customers} == {"2026-12-18"}
    assert all([w.code for w in c.warnings] == ["go-live-early"] for c in projected.customers)
    assert len({h for _, step, h in steps(by_workers) if step == "network"}) == PARALLEL_FROM + 2
    # apply builds a model only for what it runs, from the values the worker sent back
    first = desired[0]
    assert first.subscription.customer == first.customer == "cust-000"
    assert first.model is not None and all(d.model is None for d in desired[1:])
