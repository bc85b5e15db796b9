"""The implementation estimate, the sizing check and the charges, all from the catalog."""

from __future__ import annotations

from decimal import Decimal

from asp_provision.billing.pricing import MonthlyCharge, bundle_line, monthly_charge
from asp_provision.billing.terms import Billed
from asp_provision.plan.model import Charges, Sizing
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


def sizing(sub: Subscription, catalog: Catalog) -> Sizing:
    """What the spec asks for beside what the catalog recommends for its seats."""
    s = sub.spec
    rule = catalog.applications[s.application.name].sizing
    seats = s.billing.seats
    app = [p for p in s.servers.pools if p.role == "app"]
    return Sizing(
        seats=seats,
        app_cores=sum(p.count * p.cpu_cores for p in app),
        app_cores_recommended=rule.app_cores(seats),
        app_servers=sum(p.count for p in app),
        app_servers_minimum=rule.min_app_servers,
        storage_gb=s.platform.storage.size_gb,
        storage_gb_recommended=rule.storage_gb(seats),
    )


CHARGES_READ = (
    "spec.billing.seats",
    "spec.billing.currency",
    "spec.billing.cycle",
    "spec.network.bandwidth_mbps",
    "tier.prices",
)
"""What :func:`charges` reads of the effective spec (beside the catalog's currency rates):
a step that uses the charges declares these."""


def charges(sub: Subscription, catalog: Catalog, subscriptions: int = 1) -> Charges:
    """The monthly charge by the catalog's pricing rules; annual = 10 x monthly.

    ``subscriptions`` is the number on the customer's billing account (for the bundle).
    """
    charge = monthly_charge(Billed.of(sub), catalog, subscriptions)
    return _charges(charge, sub.spec.billing.cycle)


def _charges(charge: MonthlyCharge, cycle: str) -> Charges:
    monthly = charge.total
    gross = ("tier-base", "seats", "bandwidth")
    return Charges(
        currency=charge.currency,
        cycle="annual" if cycle == "annual" else "monthly",
        base=float(charge.amount("tier-base")),
        seats=float(charge.amount("seats")),
        bandwidth=float(charge.amount("bandwidth")),
        discount=float(sum((x.amount for x in charge.lines if x.code not in gross), Decimal(0))),
        monthly=float(monthly),
        annual=float(monthly * 10),
    )


def with_bundle(charges: Charges, catalog: Catalog, subscriptions: int) -> Charges:
    """``charges`` (of one subscription alone) on an account of ``subscriptions``."""
    monthly = Decimal(str(charges.monthly))
    line = bundle_line(monthly, charges.currency, catalog, subscriptions)
    if line is None:
        return charges
    monthly += line.amount
    return charges.model_copy(
        update={
            "discount": float(Decimal(str(charges.discount)) + line.amount),
            "monthly": float(monthly),
            "annual": float(monthly * 10),
        }
    )
