"""The sizing check and the charges, from the catalog (the estimate: :mod:`plan.effort`)."""

from __future__ import annotations

from decimal import Decimal

from asp_provision.billing.pricing import MonthlyCharge, bundle_line, monthly_charge
from asp_provision.billing.terms import Billed
from asp_provision.plan.model import Charges, Sizing
from asp_provision.spec.catalog import Catalog
from asp_provision.spec.models import Subscription


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
