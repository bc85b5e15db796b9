"""What `status` reports: per customer, what is applied, pending and failed, and the last run."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from asp_provision.plan.model import Plan
from asp_provision.plan.steps import STEPS
from asp_provision.state.store import RunRecord, Snapshot

if TYPE_CHECKING:
    from asp_provision.billing.books import Books


@dataclass(frozen=True, slots=True)
class StepStatus:
    """One step of one customer."""

    step: str
    status: str  # applied | failed | pending | not applied
    updated_at: str | None
    run_id: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class CustomerStatus:
    """One customer."""

    customer: str
    tier: str | None
    application: str | None
    applied: int
    pending: int
    failed: int
    last_run: dict[str, Any] | None
    go_live: str | None
    spec_path: str | None
    orphaned: bool
    steps: list[StepStatus] = field(default_factory=list)
    renewal: str | None = None  # the end of the current contract term
    phase: str | None = None  # new (never applied) | onboarding | live | suspended | offboarded
    phase_since: str | None = None  # when it entered its phase (ISO 8601, UTC)
    next_gate: str | None = None  # the first gate not signed off, which holds a step back
    go_live_actual: str | None = None  # the day its go_live step was applied (UTC)
    days_late: int | None = None  # days after the spec's go_live it went live (or is not yet)
    usage: dict[str, Any] | None = None  # this month's usage against what was sold
    worker: str | None = None  # the worker host its site is on (None: this host)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def _when(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


def _renewal(billing: dict[str, Any]) -> str | None:
    """When the applied contract renews (start_date + whole terms, the next one ahead)."""
    from asp_provision.billing.terms import renewal_date

    try:
        start = dt.date.fromisoformat(str(billing["start_date"]))
        term = int(billing.get("term_months", 12))
    except (KeyError, TypeError, ValueError):
        return None
    return renewal_date(start, term, dt.datetime.now(dt.UTC).date()).isoformat()


def _days_late(target: str | None, actual: str | None, today: dt.date) -> int | None:
    """How many days after ``target`` it went live (``actual``), or today is, not live yet.

    0 when on time or early; None without a target.
    """
    if not target:
        return None
    try:
        wanted = dt.date.fromisoformat(target)
    except ValueError:
        return None
    went = dt.date.fromisoformat(actual) if actual else today
    return max(0, (went - wanted).days)


def build(
    snapshot: Snapshot,
    last_runs: dict[str, RunRecord],
    plan: Plan | None,
    went_live: dict[str, float] | None = None,
    today: dt.date | None = None,
    workers: dict[str, str] | None = None,
) -> list[CustomerStatus]:
    """Merge the state with the plan of the current specs (pending = what would run).

    ``went_live``: when each customer went live (POSIX seconds), for the actual go-live;
    ``workers``: the worker host each customer last ran on.
    """
    went_live = went_live or {}
    workers = workers or {}
    today = today or dt.datetime.now(dt.UTC).date()
    planned = {c.customer: c for c in plan.customers} if plan else {}
    names = sorted(set(snapshot.customers) | set(planned))
    out = []
    for name in names:
        recorded = snapshot.customers.get(name)
        cplan = planned.get(name)
        # a step waiting for a sign-off is pending too: it is work ahead
        runs = {s.step: s.runs or s.waiting for s in cplan.steps} if cplan else {}
        steps = []
        for step in STEPS:
            state = recorded.steps.get(step) if recorded else None
            if runs.get(step) and (state is None or state.status != "failed"):
                status = "pending"
            elif state is not None:
                status = state.status
            else:
                status = "not applied"
            steps.append(
                StepStatus(
                    step,
                    status,
                    _when(state.updated_at) if state else None,
                    state.run_id if state else None,
                    state.message if state else None,
                )
            )
        spec: dict[str, Any] = recorded.spec if recorded else {}
        spec_body = spec.get("spec", {})
        app = spec_body.get("application", {})
        go_live = (spec_body.get("onboarding") or {}).get("go_live")
        run = last_runs.get(name)
        renewal = _renewal(spec_body.get("billing") or {})
        target = cplan.go_live if cplan else (str(go_live) if go_live else None)
        phase = snapshot.phases.get(name)
        gone = phase is not None and phase.phase == "offboarded"
        when_live = _when(went_live.get(name)) if not gone else None
        actual = when_live[:10] if when_live else None
        gates = [s.gate for s in cplan.steps if s.gate and not s.gate.signed] if cplan else []
        out.append(
            CustomerStatus(
                customer=name,
                tier=cplan.tier if cplan else spec_body.get("tier"),
                application=cplan.application
                if cplan
                else (f"{app.get('name')} {app.get('version')}" if app else None),
                applied=sum(1 for s in steps if s.status == "applied"),
                pending=sum(1 for s in steps if s.status == "pending"),
                failed=sum(1 for s in steps if s.status == "failed"),
                last_run={
                    "run_id": run.run_id,
                    "command": run.command,
                    "started_at": _when(run.started_at),
                    "outcome": run.outcome,
                    "log_path": run.log_path,
                }
                if run
                else None,
                go_live=target,
                spec_path=cplan.path if cplan else (recorded.spec_path if recorded else None),
                orphaned=cplan is None,
                steps=steps,
                renewal=renewal,
                phase=phase.phase if phase else "new",
                phase_since=_when(phase.at) if phase else None,
                next_gate=gates[0].name if gates else None,
                go_live_actual=actual,
                days_late=None if gone else _days_late(target, actual, today),
                worker=workers.get(name),
            )
        )
    return out


def with_usage(
    found: CustomerStatus, spec: dict[str, Any], books: Books, today: dt.date
) -> CustomerStatus:
    """``found`` with this month's usage beside what was sold (from the applied spec)."""
    from dataclasses import replace

    from asp_provision.billing.proration import Period

    period = Period(today.year, today.month)
    used = books.usage(found.customer, period)
    body = spec.get("spec", {})

    def shown(value: object) -> str | None:
        return None if value is None else str(value)

    usage = {
        "period": str(period),
        "seats": {
            "peak": shown(used.peak_seats),
            "sold": body.get("billing", {}).get("seats"),
        },
        "bandwidth_mbps": {
            "p95": shown(used.bandwidth_p95),
            "sold": body.get("network", {}).get("bandwidth_mbps"),
        },
        "storage_gb": {
            "peak": shown(used.peak_storage_gb),
            "sold": body.get("platform", {}).get("storage", {}).get("size_gb"),
        },
    }
    return replace(found, usage=usage)
