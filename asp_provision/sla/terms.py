"""What a customer was promised, as plain data: clock, targets, availability, credits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asp_provision.spec.catalog import PRIORITIES, Catalog
from asp_provision.spec.models import Subscription

DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True, slots=True)
class Terms:
    """One customer's service levels, from its spec and its tier."""

    customer: str
    name: str
    tier: str
    timezone: str
    holidays: str | None
    support_hours: str  # business | 24x7
    business_hours: str
    maintenance_window: str
    availability_pct: Decimal
    targets: dict[str, tuple[int, int]]  # priority -> (response minutes, resolution hours)
    credits: dict[str, Any]  # the tier's CreditSchedule as JSON data
    monthly_charge: Decimal
    currency: str

    def as_data(self) -> dict[str, Any]:
        """Plain data, to cross between processes."""
        return {
            "customer": self.customer,
            "name": self.name,
            "tier": self.tier,
            "timezone": self.timezone,
            "holidays": self.holidays,
            "support_hours": self.support_hours,
            "business_hours": self.business_hours,
            "maintenance_window": self.maintenance_window,
            "availability_pct": str(self.availability_pct),
            "targets": {k: list(v) for k, v in self.targets.items()},
            "credits": self.credits,
            "monthly_charge": str(self.monthly_charge),
            "currency": self.currency,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Terms:
        """Back from :meth:`as_data`."""
        return cls(
            **{
                **data,
                "availability_pct": Decimal(data["availability_pct"]),
                "targets": {k: (v[0], v[1]) for k, v in data["targets"].items()},
                "monthly_charge": Decimal(data["monthly_charge"]),
            }
        )


def terms(sub: Subscription, catalog: Catalog) -> Terms:
    """The terms of a valid spec.

    A spec that relaxes its SLA (a 60-minute response on gold) relaxes every priority's
    targets in the same proportion; a spec without ``support`` is measured in UTC with
    no public holidays.
    """
    from asp_provision.plan.cost import charges

    s = sub.spec
    tier = catalog.tiers[s.tier]
    response = s.sla.response_minutes or tier.response_minutes
    resolution = s.sla.resolution_hours or tier.resolution_hours
    targets = {}
    for name, target in tier.targets().items():
        targets[name] = (
            round(target.response_minutes * response / tier.response_minutes),
            round(target.resolution_hours * resolution / tier.resolution_hours),
        )
    availability = s.sla.availability_pct or tier.availability_pct
    support = s.support
    cost = charges(sub, catalog)
    return Terms(
        customer=sub.customer,
        name=sub.metadata.name,
        tier=s.tier,
        timezone=support.timezone if support else DEFAULT_TIMEZONE,
        holidays=support.holidays if support else None,
        support_hours=s.sla.support_hours or tier.support_hours,
        business_hours=tier.business_hours,
        maintenance_window=tier.maintenance_window,
        availability_pct=Decimal(str(availability)),
        targets={p: targets[p] for p in PRIORITIES},
        credits=tier.credits.model_dump(mode="json"),
        monthly_charge=Decimal(str(cost.monthly)),
        currency=cost.currency,
    )
