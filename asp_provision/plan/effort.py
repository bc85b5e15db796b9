"""The implementation estimate from the catalog: engineer-hours per step and by phase.

Kept apart from the charges so that ``validate``'s go-live rule reads no billing code.
"""

from __future__ import annotations

from asp_provision.plan.steps import PHASES, STEPS
from asp_provision.spec.catalog import Catalog, Unit
from asp_provision.spec.models import Subscription

UNIT_PHASES: dict[Unit, str] = {
    "records_10k": "data conversion",
    "training_sessions": "training",
    "training_attendees": "training",
}
"""Units of work that belong to an onboarding phase of their own, whichever step's effort
counts them; every other term (the base, the connection, other units) counts towards the
phase of its step."""


def units(sub: Subscription) -> dict[Unit, float]:
    """How many of each effort unit a spec has."""
    s = sub.spec
    onboarding = s.onboarding
    conversion = onboarding.data_conversion if onboarding else None
    records = conversion.records or 0 if conversion else 0
    training = onboarding.training if onboarding else None
    return {
        "users": len(s.users),
        "servers": sum(p.count for p in s.servers.pools),
        "roles": len(s.security.roles),
        "middleware": len(s.platform.middleware),
        "metrics": len(s.reporting.metrics),
        "allow_from": len(s.network.allow_from),
        "records_10k": records / 10_000,
        "training_sessions": training.session_count if training else 0,
        "training_attendees": training.attendee_count if training else 0,
        "sso": 1 if s.security.sso else 0,
    }


def step_hours(sub: Subscription, catalog: Catalog, step: str, counts: dict[Unit, float]) -> float:
    """Engineer-hours of one step for this spec: base + per-unit terms."""
    effort = catalog.effort.get(step)
    if effort is None:
        return 0.0
    hours = effort.base + sum(rate * counts[unit] for unit, rate in effort.per.items())
    hours += effort.connection.get(sub.spec.network.connection.type, 0.0)
    return round(hours, 2)


def phase_hours(
    sub: Subscription, catalog: Catalog, step: str, counts: dict[Unit, float]
) -> dict[str, float]:
    """The hours of one step (:func:`step_hours`) by onboarding phase, non-zero ones only.

    A term of a unit in :data:`UNIT_PHASES` counts towards that phase; the rest towards
    the step's. The parts add up to the step's hours exactly: what rounding leaves over
    stays in the step's own phase.
    """
    total = step_hours(sub, catalog, step, counts)
    effort = catalog.effort.get(step)
    own = STEPS[step].phase if step in STEPS else PHASES[0]
    parts: dict[str, float] = {}
    if effort is not None:
        for unit, rate in effort.per.items():
            phase = UNIT_PHASES.get(unit, own)
            if phase != own:
                parts[phase] = parts.get(phase, 0.0) + rate * counts[unit]
    parts = {phase: round(hours, 2) for phase, hours in parts.items()}
    parts[own] = round(total - sum(parts.values()), 2)
    return {phase: parts[phase] for phase in PHASES if parts.get(phase)}
