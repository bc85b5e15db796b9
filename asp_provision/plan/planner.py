"""Make a plan: each valid spec against what the state says was applied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from asp_provision.plan import cost
from asp_provision.plan.diff import changes, digest, step_inputs
from asp_provision.plan.model import CustomerPlan, Orphan, Plan, StepPlan
from asp_provision.plan.steps import STEPS, VERIFY
from asp_provision.spec.catalog import Catalog, Unit
from asp_provision.spec.effective import effective_document
from asp_provision.spec.models import Subscription
from asp_provision.state.store import CustomerState, Snapshot, StepState


@dataclass(frozen=True, slots=True)
class Desired:
    """A valid spec to plan for: where it came from and what it says."""

    path: str
    content_hash: str
    subscription: Subscription
    document: dict[str, Any] | None = None  # the effective spec, when already computed


def make_plan(
    desired: Iterable[Desired],
    state: Snapshot,
    catalog: Catalog,
    catalog_hash: str,
) -> Plan:
    """Compare each spec with the state (``--only``/``--exclude`` narrow it afterwards)."""
    customers = []
    seen: set[str] = set()
    for item in desired:
        seen.add(item.subscription.customer)
        recorded = state.customers.get(item.subscription.customer)
        customers.append(_customer_plan(item, recorded, catalog))
    orphaned = [
        Orphan(
            customer=name,
            spec_path=recorded.spec_path,
            # steps applied at some point (a later failed update leaves them in place)
            applied_steps=[
                s for s in STEPS if s in recorded.steps and recorded.steps[s].input_hash
            ],
        )
        for name, recorded in sorted(state.customers.items())
        if name not in seen
    ]
    return Plan(
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        state_serial=state.serial,
        catalog_hash=catalog_hash,
        customers=customers,
        orphaned=orphaned,
    )


def _customer_plan(item: Desired, recorded: CustomerState | None, catalog: Catalog) -> CustomerPlan:
    sub = item.subscription
    doc = item.document if item.document is not None else effective_document(sub, catalog)
    counts = cost.units(sub)
    onboarding = sub.spec.onboarding
    steps: list[StepPlan] = []
    for name, step in STEPS.items():
        if name == VERIFY:
            continue
        inputs = step_inputs(doc, step)
        input_hash = digest(inputs)
        before = recorded.steps.get(name) if recorded else None
        plan = _step_plan(name, inputs, input_hash, before)
        if plan.runs:
            plan = plan.model_copy(update={"hours": cost.step_hours(sub, catalog, name, counts)})
        steps.append(plan)
    steps.append(_verify_plan(doc, recorded, steps, sub, catalog, counts))
    return CustomerPlan(
        customer=sub.customer,
        name=sub.metadata.name,
        path=item.path,
        content_hash=item.content_hash,
        tier=sub.spec.tier,
        application=f"{sub.spec.application.name} {sub.spec.application.version}",
        go_live=str(onboarding.go_live) if onboarding and onboarding.go_live else None,
        steps=steps,
        estimate_hours=round(sum(s.hours for s in steps), 2),
        sizing=cost.sizing(sub, catalog),
        charges=cost.charges(sub, catalog),
    )


def _step_plan(
    name: str, inputs: dict[str, object], input_hash: str, before: StepState | None
) -> StepPlan:
    if before is None:
        return StepPlan(step=name, action="create", reason="never applied", input_hash=input_hash)
    if before.input_hash is None:
        return StepPlan(
            step=name,
            action="create",
            reason=f"failed last time (run {before.run_id})",
            input_hash=input_hash,
        )
    changed = before.input_hash != input_hash
    diff = changes(before.inputs, inputs) if changed else []
    if before.status == "failed":
        return StepPlan(
            step=name,
            action="update",
            reason=f"failed last time (run {before.run_id})",
            input_hash=input_hash,
            changes=diff,
        )
    if changed:
        count = len(diff)
        return StepPlan(
            step=name,
            action="update",
            reason=f"{count} field{'s' if count != 1 else ''} changed",
            input_hash=input_hash,
            changes=diff,
        )
    return StepPlan(step=name, action="no-op", reason="unchanged", input_hash=input_hash)


def _verify_plan(
    doc: dict[str, object],
    recorded: CustomerState | None,
    steps: list[StepPlan],
    sub: Subscription,
    catalog: Catalog,
    counts: dict[Unit, float],
) -> StepPlan:
    inputs = step_inputs(doc, STEPS[VERIFY])
    input_hash = digest(inputs)
    before = recorded.steps.get(VERIFY) if recorded else None
    if any(s.runs for s in steps):
        plan = StepPlan(
            step=VERIFY,
            action="update" if before is not None and before.input_hash else "create",
            reason="runs after every change",
            input_hash=input_hash,
        )
    else:
        # verify reads everything: a field no other step reads (onboarding) still counts
        plan = _step_plan(VERIFY, inputs, input_hash, before)
    if not plan.runs:
        return plan
    return plan.model_copy(update={"hours": cost.step_hours(sub, catalog, VERIFY, counts)})
