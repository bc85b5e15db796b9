"""Narrowing a plan (``--only``/``--exclude``) and folding drift found by ``--refresh`` into it."""

from __future__ import annotations

from collections.abc import Callable

from asp_provision.errors import UsageError
from asp_provision.plan.dag import closure
from asp_provision.plan.model import CustomerPlan, Plan, StepPlan
from asp_provision.plan.steps import DEPENDENCIES, FOLLOWS_REASON, STEPS, follows

LEFT_OUT = "left out by --only/--exclude"


def _rebuild(customer: CustomerPlan, steps: list[StepPlan]) -> CustomerPlan:
    return customer.model_copy(
        update={"steps": steps, "estimate_hours": round(sum(s.hours for s in steps), 2)}
    )


def select_steps(plan: Plan, only: set[str] | None, exclude: set[str]) -> Plan:
    """Keep only the chosen steps running; refuse when a left-out step blocks a chosen one."""
    unknown = sorted(s for s in (only or set()) | exclude if s not in STEPS)
    if unknown:
        raise UsageError(f"unknown step {', '.join(unknown)}; steps are {', '.join(STEPS)}")
    chosen = set(only) if only else set(STEPS)
    chosen -= exclude
    customers = []
    followers = {name for name, step in STEPS.items() if step.follows_changes}
    for customer in plan.customers:
        actions = {s.step: s for s in customer.steps}
        for step in sorted(chosen - followers, key=list(STEPS).index):
            if not actions[step].runs:
                continue
            for dep in sorted(closure(DEPENDENCIES, {step}) - {step}, key=list(STEPS).index):
                if actions[dep].runs and dep not in chosen:
                    raise UsageError(
                        f"{customer.customer}: {step} needs {dep}, which is planned to "
                        f"{actions[dep].action} ({actions[dep].reason}) but left out; "
                        f"add it (--only {dep}) or drop --only/--exclude"
                    )
        steps: list[StepPlan] = []
        for s in customer.steps:
            keep = s.step in chosen or not s.runs
            if s.step in followers and s.runs and keep:
                # a step that runs after changes runs only after those still chosen, unless
                # it runs for its own sake or was asked for by name
                watched = follows(s.step)
                keep = (
                    any(p.runs for p in steps if p.step in watched)
                    or (bool(only) and s.step in (only or set()))
                    or s.reason != FOLLOWS_REASON
                )
            steps.append(s if keep else _no_op(s))
        customers.append(_rebuild(customer, steps))
    return plan.model_copy(update={"customers": customers})


def _no_op(step: StepPlan) -> StepPlan:
    return StepPlan(step=step.step, action="no-op", reason=LEFT_OUT, input_hash=step.input_hash)


def _now_runs(step: StepPlan, reason: str, hours: dict[str, float]) -> StepPlan:
    return step.model_copy(update={"action": "update", "reason": reason}).with_hours(hours)


def check_applied(plan: Plan) -> Plan:
    """A plan that runs, in check mode, every step already applied and unchanged."""
    customers = []
    for customer in plan.customers:
        steps = [
            s.model_copy(update={"action": "update", "reason": "refresh"})
            if s.action == "no-op"
            and s.input_hash is not None  # a step with nothing to do for the spec has none
            and not STEPS[s.step].follows_changes
            else _no_op(s)
            for s in customer.steps
        ]
        customers.append(customer.model_copy(update={"steps": steps}))
    return plan.model_copy(update={"customers": customers})


def with_drift(
    plan: Plan,
    drift: dict[str, dict[str, list[str]]],
    failed: dict[str, tuple[str | None, str | None]],
    hours: Callable[[str, str], dict[str, float]],
) -> Plan:
    """``plan`` with each drifted step planned as an update, and verify after it.

    ``hours(customer, step)`` gives the effort of a step that now runs, by phase.
    """
    customers = []
    for customer in plan.customers:
        found = drift.get(customer.customer, {})
        broken = failed.get(customer.customer)
        steps = []
        for s in customer.steps:
            if s.step in found:
                tasks = found[s.step]
                reason = (
                    f"drifted: {len(tasks)} task{'s' if len(tasks) != 1 else ''} would "
                    f"change ({'; '.join(tasks)})"
                )
                s = _now_runs(s, reason, hours(customer.customer, s.step))
            elif broken and broken[0] == s.step and not s.runs:
                reason = f"check failed: {broken[1]}"
                s = _now_runs(s, reason, hours(customer.customer, s.step))
            steps.append(s)
        for i, s in enumerate(steps):
            watched = follows(s.step)
            if s.action == "no-op" and any(p.runs for p in steps[:i] if p.step in watched):
                steps[i] = _now_runs(s, FOLLOWS_REASON, hours(customer.customer, s.step))
        customers.append(_rebuild(customer, steps))
    return plan.model_copy(update={"customers": customers})
