"""A new spec from a deal: rendered from the template, checked like any spec, then written.

The template gets the deal, its tier and application from the catalog, and the servers
and storage the catalog's sizing rules give for the seats. A spec that fails its checks
is never written. Each problem is reported against the
deal's option it came from (``--contact-email``, or the CSV column of that name);
one that no option explains is the template's, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asp_provision.scaffold import sizing
from asp_provision.scaffold.deal import Contact, Deal, DealInvalid, Problem
from asp_provision.scaffold.files import write_text
from asp_provision.scaffold.templates import Templates
from asp_provision.spec.across import Claims, Taken, claims_of
from asp_provision.spec.batch import spec_files
from asp_provision.spec.catalog import Catalog
from asp_provision.spec.check import check_document
from asp_provision.spec.diagnostics import Diagnostic, Path_
from asp_provision.spec.loader import Document, load_file, load_text

_FIELD_OPTIONS: dict[Path_, str] = {
    ("metadata", "customer"): "customer",
    ("metadata", "name"): "name",
    ("spec", "tier"): "tier",
    ("spec", "sla"): "tier",
    ("spec", "application", "name"): "app",
    ("spec", "application", "version"): "version",
    ("spec", "application", "edition"): "edition",
    ("spec", "network", "bandwidth_mbps"): "bandwidth",
    ("spec", "network", "connection", "type"): "connection",
    ("spec", "network", "connection", "provider"): "provider",
    ("spec", "network", "connection", "customer_cidrs"): "allow-from",
    ("spec", "network", "allow_from"): "allow-from",
    ("spec", "network", "domain"): "domain",
    ("spec", "servers"): "seats",
    ("spec", "platform", "storage", "size_gb"): "seats",
    ("spec", "users"): "admin",
    ("spec", "billing", "account_id"): "customer",
    ("spec", "billing", "seats"): "seats",
    ("spec", "billing", "contact", "name"): "contact-name",
    ("spec", "billing", "contact", "email"): "contact-email",
    ("spec", "billing", "start_date"): "start-date",
    ("spec", "billing", "currency"): "currency",
    ("spec", "billing", "country"): "country",
    ("spec", "billing", "cycle"): "cycle",
    ("spec", "reporting", "recipients"): "contact-email",
    ("spec", "onboarding", "go_live"): "go-live",
    ("spec", "support", "timezone"): "timezone",
    ("spec", "support", "holidays"): "holidays",
    ("spec", "support", "service_manager"): "service-manager",
    ("spec", "support", "primary_engineer"): "primary-engineer",
}
"""Where each option lands in a spec; below these, a problem is the option's."""

# lists whose items are the option's own values: the message alone says which one
_OWN_ITEMS = frozenset(
    {
        ("spec", "network", "allow_from"),
        ("spec", "network", "connection", "customer_cidrs"),
        ("spec", "users"),
        ("spec", "reporting", "recipients"),
    }
)


@dataclass(frozen=True, slots=True)
class NewSpec:
    """A rendered spec that passed its checks; ``path`` is None when it goes to stdout."""

    customer: str
    path: Path | None
    text: str
    warnings: tuple[Problem, ...] = ()
    claims: Claims | None = None
    """What the spec claims that no other customer may (its domain, its account)."""


def spec_path(specs_dir: Path, customer: str) -> Path:
    """Where a customer's spec lives: ``specs/<customer>.yaml``."""
    return specs_dir / f"{customer}.yaml"


def new_spec(deal: Deal, catalog: Catalog, templates: Templates, path: Path | None) -> NewSpec:
    """Render the spec for ``deal`` and check it; raise DealInvalid if it is not valid."""
    text = templates.spec(spec_context(deal, catalog))
    doc = Document(str(path) if path is not None else "<new spec>")
    load_text(text, doc)
    result = check_document(doc, catalog)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for diagnostic in result.diagnostics:
        problem = _problem(diagnostic, templates)
        (errors if diagnostic.severity == "error" else warnings).append(problem)
    if errors:
        raise DealInvalid(_unique(errors))
    return NewSpec(deal.customer, path, text, tuple(warnings), result.claims)


def workspace_claims(specs_dir: Path, recorded: Mapping[str, Any], state: str) -> Taken:
    """The domains and accounts held by the workspace's specs and the state's customers.

    Only the values are read, not checked: a spec that does not validate still holds
    what it says.
    """
    taken = Taken()
    in_files: set[str] = set()
    paths = spec_files([specs_dir]) if specs_dir.is_dir() else []
    for path in paths:
        doc = load_file(path)
        data = doc.data
        customer = data.get("metadata", {}).get("customer") if isinstance(data, dict) else None
        if not isinstance(customer, str):
            continue
        in_files.add(customer)
        taken.hold_file(customer, str(path), claims_of(data, doc.locate))
    taken.hold_recorded(recorded, state, but=in_files)
    return taken


def conflicts(spec: NewSpec, taken: Taken) -> list[Problem]:
    """The problems of ``spec`` claiming what another customer holds in ``taken``."""
    if spec.claims is None:
        return []
    found = taken.conflicts(spec.customer, spec.claims)
    return [p for d in found if (p := _option_problem(d)) is not None]


def _option_problem(d: Diagnostic) -> Problem | None:
    found = _option_of(d.path)
    return None if found is None else Problem(found[1], d.message)


def _unique(problems: list[Problem]) -> list[Problem]:
    """Each problem once; the account id is the customer's, so its problem is too."""
    out: list[Problem] = []
    for problem in problems:
        if problem in out:
            continue
        if problem.option == "customer" and any(p.option == "customer" for p in out):
            continue
        out.append(problem)
    return out


def _problem(d: Diagnostic, templates: Templates) -> Problem:
    found = _option_of(d.path)
    if found is None:
        where = f"line {d.line}" if d.field is None else d.field
        return Problem(
            None, f"{templates.spec_source()} made an invalid spec: {where}: {d.message}"
        )
    prefix, option = found
    if d.path == prefix or prefix in _OWN_ITEMS:
        return Problem(option, d.message)
    return Problem(option, f"{d.field}: {d.message}")


def _option_of(path: Path_) -> tuple[Path_, str] | None:
    for end in range(len(path), 0, -1):
        option = _FIELD_OPTIONS.get(path[:end])
        if option is not None:
            return path[:end], option
    return None


def write_spec(spec: NewSpec, force: bool = False) -> None:
    """Write ``spec`` to its path; an existing file is replaced only with ``force``."""
    if spec.path is None:
        raise ValueError("this spec goes to stdout")
    write_text(spec.path, spec.text, replace=force)


def tier_level(catalog: Catalog, name: str) -> str:
    """Where a tier stands in the catalog: entry, middle or top (by its response time)."""
    names = catalog.tier_names()
    rank = names.index(name)
    if rank == 0:
        return "entry"
    return "top" if rank == len(names) - 1 else "middle"


def _contact(contact: Contact | None) -> dict[str, str] | None:
    if contact is None:
        return None
    return {"name": contact.name, "email": contact.email, "phone": contact.phone}


def spec_context(deal: Deal, catalog: Catalog) -> dict[str, Any]:
    """The data ``spec.yaml.j2`` is rendered from: the deal, its tier and application."""
    tier = catalog.tiers[deal.tier]
    offer = catalog.applications[deal.app]
    rule = offer.sizing
    ha, zones = tier.high_availability, list(catalog.zones)
    db = sizing.db_pool(rule, ha, zones)
    return {
        "deal": {
            "customer": deal.customer,
            "name": deal.name,
            "tier": deal.tier,
            "app": deal.app,
            "version": deal.version,
            "edition": deal.edition,
            "seats": deal.seats,
            "bandwidth_mbps": deal.bandwidth_mbps,
            "connection": deal.connection,
            "provider": deal.provider,
            "customer_cidrs": list(deal.customer_cidrs),
            "allow_from": list(deal.allow_from),
            "domain": deal.domain,
            "contact_name": deal.contact_name,
            "contact_email": deal.contact_email,
            "start_date": deal.start_date,
            "country": deal.country,
            "go_live": deal.go_live,
            "admins": [{"username": a.username, "email": a.email} for a in deal.admins],
            "account_id": deal.account_id,
            "currency": deal.currency,
            "cycle": deal.cycle,
            "timezone": deal.timezone,
            "holidays": deal.holidays,
            "service_manager": _contact(deal.service_manager),
            "primary_engineer": _contact(deal.primary_engineer),
        },
        "tier": {
            "name": deal.tier,
            "level": tier_level(catalog, deal.tier),
            "description": tier.description,
            "response_minutes": tier.response_minutes,
            "resolution_hours": tier.resolution_hours,
            "support_hours": tier.support_hours,
            "availability_pct": tier.availability_pct,
            "channels": list(tier.channels),
            "tenancy": list(tier.tenancy),
            "password_policy": tier.password_policy.model_dump(),
            "backup_retention_days": tier.backup_retention_days,
            "session_timeout_minutes": tier.session_timeout_minutes,
        },
        "application": {
            "name": deal.app,
            "description": offer.description,
            "middleware": list(offer.middleware),
        },
        "sizing": {
            "app": sizing.app_pool(rule, deal.seats, ha, zones).as_dict(),
            "db": db.as_dict() if db else None,
            "storage_gb": sizing.storage_gb(rule, deal.seats),
        },
    }
