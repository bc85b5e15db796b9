"""The customer's service definition: what was sold, from the spec and the catalog.

It reads the spec, not the state, so it can be handed over before anything is
provisioned. The service levels and policies shown are the ones in force (the
effective spec): the spec's negotiated terms, the tier's where the spec leaves them out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from asp_provision.errors import SpecsInvalid, UsageError
from asp_provision.plan.cost import charges
from asp_provision.scaffold.templates import DocumentFormat, Templates
from asp_provision.spec.batch import SPEC_SUFFIXES, FileReport, ValidationReport
from asp_provision.spec.catalog import Catalog
from asp_provision.spec.check import check_file
from asp_provision.spec.effective import effective_document
from asp_provision.spec.models import DataConversion, Subscription, Training


def find_spec(customer: str, specs_dir: Path) -> Path:
    """The spec of ``customer`` in ``specs_dir``; a path to a spec file is taken as it is."""
    given = Path(customer)
    if given.suffix in SPEC_SUFFIXES:
        if given.is_file():
            return given
        raise UsageError(f"no such spec file: {given}")
    for suffix in SPEC_SUFFIXES:
        path = specs_dir / f"{customer}{suffix}"
        if path.is_file():
            return path
    raise UsageError(
        f"no spec for {customer}: {specs_dir / (customer + '.yaml')} does not exist "
        "(create it with `asp-provision new`)"
    )


def service_definition(path: Path, catalog: Catalog, templates: Templates, fmt: str = "md") -> str:
    """The service definition of the spec at ``path`` as Markdown (md) or HTML (html).

    Raises SpecsInvalid, with the report, when the spec is not valid.
    """
    formats: dict[str, DocumentFormat] = {"md": "md", "html": "html"}
    if fmt not in formats:
        raise UsageError(f"unknown document format {fmt!r}; use md or html")
    result = check_file(path, catalog, digest=True)
    if result.subscription is None:
        report = FileReport(result.path, result.customer, tuple(result.diagnostics))
        raise SpecsInvalid(ValidationReport((report,)))
    context = document_context(result.subscription, catalog)
    context["document"] = {
        "date": dt.date.today().isoformat(),
        "version": (result.content_hash or "")[:12],
    }
    return templates.document(formats[fmt], context)


def document_context(sub: Subscription, catalog: Catalog) -> dict[str, Any]:
    """The data the service-definition templates are rendered from."""
    s = sub.spec
    tier = catalog.tiers[s.tier]
    offer = catalog.applications[s.application.name]
    cost = charges(sub, catalog)
    onboarding = s.onboarding
    pools = [p.model_dump() for p in s.servers.pools]
    effective = effective_document(sub, catalog)["spec"]
    sla = effective["sla"]
    security = effective["security"]
    policy = security["password_policy"]
    return {
        "customer": {"id": sub.customer, "name": sub.metadata.name},
        "application": {
            "name": s.application.name,
            "description": offer.description,
            "version": s.application.version,
            "edition": s.application.edition,
            "middleware": list(s.platform.middleware),
            "delivery": s.platform.client.delivery,
        },
        "tier": {"name": s.tier, "description": tier.description},
        "sla": {
            "availability_pct": sla["availability_pct"],
            "response_minutes": sla["response_minutes"],
            "resolution_hours": sla["resolution_hours"],
            "support_hours": sla["support_hours"],
            "channels": list(sla["channels"]),
        },
        "support": {
            "included": list(tier.support.included),
            "excluded": list(tier.support.excluded),
        },
        **support_model(sub, catalog),
        "servers": {
            "tenancy": s.servers.tenancy,
            "pools": pools,
            "count": sum(p["count"] for p in pools),
            "cores": sum(p["count"] * p["cpu_cores"] for p in pools),
        },
        "storage": {
            "class": s.platform.storage.class_,
            "size_gb": s.platform.storage.size_gb,
            "backup_schedule": s.platform.storage.backups.schedule,
            "backup_retention_days": effective["platform"]["storage"]["backups"]["retention_days"],
        },
        "network": {
            "bandwidth_mbps": s.network.bandwidth_mbps,
            "qos": s.network.qos,
            "connection": s.network.connection.type,
            "provider": s.network.connection.provider,
            "domain": s.network.domain,
            "allow_from": list(s.network.allow_from),
        },
        "security": {
            "password_min_length": policy["min_length"],
            "mfa": policy["require_mfa"],
            "password_max_age_days": policy["max_age_days"],
            "sso": s.security.sso.protocol if s.security.sso else None,
            "session_timeout_minutes": security["session_timeout_minutes"],
        },
        "users": len(s.users),
        "billing": {
            "account_id": s.billing.account_id,
            "seats": s.billing.seats,
            "contact": {"name": s.billing.contact.name, "email": s.billing.contact.email},
            "po_number": s.billing.po_number,
            "start_date": s.billing.start_date,
        },
        "charges": cost.model_dump(),
        "reporting": {
            "mode": s.reporting.mode,
            "schedule": s.reporting.schedule,
            "metrics": list(s.reporting.metrics),
            "recipients": list(s.reporting.recipients),
        },
        "onboarding": {
            "go_live": onboarding.go_live if onboarding else None,
            "training": _training(onboarding.training) if onboarding else None,
            "data_conversion": _conversion(onboarding.data_conversion) if onboarding else None,
        },
    }


def _training(training: Training | None) -> dict[str, Any] | None:
    """Sessions and attendees as counts, and the sessions' dates when they are listed."""
    if training is None:
        return None
    listed = [] if isinstance(training.sessions, int) else training.sessions
    return {
        "sessions": training.session_count,
        "attendees": training.attendee_count,
        "dates": [{"date": s.date, "topic": s.topic} for s in listed],
    }


def _conversion(conversion: DataConversion | None) -> dict[str, Any] | None:
    """Where the records come from (a format for a file) and how many, when known."""
    if conversion is None:
        return None
    return {"source": conversion.format or conversion.source, "records": conversion.records}


def support_model(sub: Subscription, catalog: Catalog) -> dict[str, Any]:
    """Who to call and how, when, the targets by priority, escalation and credits."""
    from asp_provision.sla.terms import terms

    t = terms(sub, catalog)
    tier = catalog.tiers[sub.spec.tier]
    support = sub.spec.support
    provider = catalog.provider

    def person(p: Any) -> dict[str, str] | None:
        return None if p is None else {"name": p.name, "email": p.email, "phone": p.phone}

    schedule = tier.credits
    return {
        "provider": {
            "name": provider.name,
            "address": list(provider.address),
            "country": provider.country,
            "phone": provider.support.phone,
            "email": provider.support.email,
            "portal": provider.support.portal,
        },
        "hours": {
            "support_hours": t.support_hours,
            "business_hours": t.business_hours,
            "timezone": t.timezone,
            "holidays": t.holidays,
            "maintenance_window": t.maintenance_window,
        },
        "contacts": {
            "service_manager": person(support.service_manager if support else None),
            "primary_engineer": person(support.primary_engineer if support else None),
        },
        "escalation": [
            {"level": e.level, "contact": e.contact, "after_minutes": e.after_minutes}
            for e in (support.escalation if support else [])
        ],
        "targets": [
            {"priority": p, "response_minutes": r, "resolution_hours": h}
            for p, (r, h) in t.targets.items()
        ],
        "credits": {
            "availability": [
                {
                    "below_pct": f"{t.availability_pct - step.points_below:f}",
                    "pct": f"{step.pct:f}",
                }
                for step in schedule.availability
            ],
            "tickets": None
            if schedule.tickets is None
            else {
                "priorities": list(schedule.tickets.priorities),
                "met_below_pct": f"{schedule.tickets.met_below_pct:f}",
                "pct": f"{schedule.tickets.pct:f}",
            },
            "cap_pct": f"{schedule.cap_pct:f}",
        },
    }
