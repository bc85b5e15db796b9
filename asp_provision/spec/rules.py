"""Rules beyond types: across fields, and against the catalog.

Each rule reads the spec's sections it needs and reports a problem at the field it
belongs to. Rules run on whatever sections passed type checks, so one broken section
does not hide the problems of the others.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from asp_provision.spec import secretref
from asp_provision.spec.availability import check_high_availability, check_zones
from asp_provision.spec.catalog import Catalog, Tier
from asp_provision.spec.contract import check_below_tier
from asp_provision.spec.diagnostics import Path_
from asp_provision.spec.models import (
    Application,
    Billing,
    Metadata,
    Network,
    Onboarding,
    Platform,
    Security,
    Servers,
    Sla,
    Support,
    User,
    secret_paths,
)
from asp_provision.spec.onboarding import check_onboarding

Report = Callable[[Path_, str, str, str], None]
"""report(path, code, message, severity)"""

OPEN_NETWORKS = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True, slots=True)
class Parts:
    """The sections of one spec that passed type checks (None where they did not)."""

    metadata: Metadata | None = None
    tier: str | None = None
    application: Application | None = None
    sla: Sla | None = None
    network: Network | None = None
    servers: Servers | None = None
    platform: Platform | None = None
    security: Security | None = None
    users: list[User] | None = None
    billing: Billing | None = None
    support: Support | None = None
    support_given: bool = False  # support was read (or left out), not broken
    onboarding: Onboarding | None = None


def did_you_mean(word: str, choices: list[str]) -> str:
    """A "; did you mean 'x'?" suffix for a near miss, or ''."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def check(parts: Parts, catalog: Catalog, report: Report) -> None:
    """Run every rule on ``parts``."""
    tier = _check_tier(parts, catalog, report)
    if tier is not None:
        _check_sla(parts, tier, catalog, report)
        check_below_tier(parts, tier, report)
        _check_tenancy(parts, tier, report)
        _check_support(parts, tier, report)
    _check_application(parts, catalog, report)
    _check_network(parts, tier, report)
    _check_security(parts, report)
    _check_users(parts, report)
    _check_sizing(parts, catalog, report)
    _check_placement(parts, tier, catalog, report)
    _check_currency(parts, catalog, report)
    _check_country(parts, catalog, report)
    check_onboarding(parts.onboarding, report)


def _check_placement(parts: Parts, tier: Tier | None, catalog: Catalog, report: Report) -> None:
    if parts.servers is None:
        return
    pools = parts.servers.pools
    check_zones(pools, catalog, report)
    if tier is not None and tier.high_availability is not None and parts.tier is not None:
        offer = catalog.applications.get(parts.application.name) if parts.application else None
        with_db = any(p.role == "db" for p in pools) or (offer is None or offer.sizing.db_cores > 0)
        check_high_availability(parts.tier, tier.high_availability, pools, catalog, report, with_db)


def _check_currency(parts: Parts, catalog: Catalog, report: Report) -> None:
    if parts.billing is not None and parts.billing.currency not in catalog.currencies:
        report(
            ("spec", "billing", "currency"),
            "currency-not-priced",
            f"the catalog has no prices in {parts.billing.currency}; "
            f"it prices in {', '.join(sorted(catalog.currencies))}",
            "error",
        )


def _check_country(parts: Parts, catalog: Catalog, report: Report) -> None:
    taxes = catalog.pricing.taxes
    if parts.billing is not None and taxes and parts.billing.country not in taxes:
        report(
            ("spec", "billing", "country"),
            "country-not-taxed",
            f"the catalog has no tax rate for {parts.billing.country}; "
            f"add it to the catalog's pricing.taxes, or use one of {', '.join(sorted(taxes))}",
            "error",
        )


def _check_tier(parts: Parts, catalog: Catalog, report: Report) -> Tier | None:
    if parts.tier is None:
        return None
    tier = catalog.tiers.get(parts.tier)
    if tier is None:
        names = catalog.tier_names()
        report(
            ("spec", "tier"),
            "unknown-tier",
            f"unknown tier '{parts.tier}'; the catalog offers {', '.join(names)}"
            + did_you_mean(parts.tier, names),
            "error",
        )
    return tier


def _cheapest(catalog: Catalog, ok: Callable[[Tier], bool]) -> str:
    for name in catalog.tier_names():
        if ok(catalog.tiers[name]):
            return f"; the {name} tier offers it"
    return "; no tier offers it"


def _check_sla(parts: Parts, tier: Tier, catalog: Catalog, report: Report) -> None:
    sla, name = parts.sla, parts.tier
    if sla is None:
        return
    path = ("spec", "sla")
    if sla.response_minutes is not None and sla.response_minutes < tier.response_minutes:
        want = sla.response_minutes
        report(
            (*path, "response_minutes"),
            "sla-exceeds-tier",
            f"a {want}-minute response is more than the {name} tier offers "
            f"(its best is {tier.response_minutes} minutes)"
            + _cheapest(catalog, lambda t: t.response_minutes <= want),
            "error",
        )
    if sla.resolution_hours is not None and sla.resolution_hours < tier.resolution_hours:
        hours = sla.resolution_hours
        report(
            (*path, "resolution_hours"),
            "sla-exceeds-tier",
            f"resolution within {hours} hours is more than the {name} tier offers "
            f"(its best is {tier.resolution_hours} hours)"
            + _cheapest(catalog, lambda t: t.resolution_hours <= hours),
            "error",
        )
    if sla.availability_pct is not None and sla.availability_pct > tier.availability_pct:
        pct = sla.availability_pct
        report(
            (*path, "availability_pct"),
            "sla-exceeds-tier",
            f"{pct}% availability is more than the {name} tier offers "
            f"(its best is {tier.availability_pct}%)"
            + _cheapest(catalog, lambda t: t.availability_pct >= pct),
            "error",
        )
    if sla.support_hours == "24x7" and tier.support_hours != "24x7":
        report(
            (*path, "support_hours"),
            "sla-exceeds-tier",
            f"the {name} tier offers {tier.support_hours} hours support, not 24x7"
            + _cheapest(catalog, lambda t: t.support_hours == "24x7"),
            "error",
        )
    for index, channel in enumerate(sla.channels or ()):
        if channel not in tier.channels:
            report(
                (*path, "channels", index),
                "sla-exceeds-tier",
                f"the {name} tier offers support by {', '.join(tier.channels)}, not {channel}"
                + _cheapest(catalog, lambda t, c=channel: c in t.channels),  # type: ignore[misc]
                "error",
            )


_CONTACTS = {"service_manager": "a service manager", "primary_engineer": "a primary engineer"}


def _check_support(parts: Parts, tier: Tier, report: Report) -> None:
    if not parts.support_given:
        return  # its own errors are reported already
    support = parts.support
    for role in tier.named_contacts:
        if support is None:
            report(
                ("spec",),
                "support-contact-missing",
                f"the {parts.tier} tier needs spec.support with {_CONTACTS[role]} "
                f"(spec.support.{role}: name, email, phone), the time zone and holidays",
                "error",
            )
            return
        if getattr(support, role) is None:
            report(
                ("spec", "support"),
                "support-contact-missing",
                f"the {parts.tier} tier needs {_CONTACTS[role]}: add spec.support.{role} "
                "with name, email and phone",
                "error",
            )
    if support is None:
        return
    from asp_provision.spec.calendars import holiday_countries

    if support.holidays not in holiday_countries():
        report(
            ("spec", "support", "holidays"),
            "unknown-holiday-country",
            f"no public holidays are known for the country '{support.holidays}'; "
            "give an ISO 3166 code such as SE, DE or US",
            "error",
        )
    seen: dict[int, int] = {}
    previous = -1
    for index, step in enumerate(support.escalation):
        path = ("spec", "support", "escalation", index)
        if step.level in seen:
            report(
                (*path, "level"),
                "duplicate-escalation-level",
                f"level {step.level} is given already by "
                f"spec.support.escalation[{seen[step.level]}]",
                "error",
            )
        seen.setdefault(step.level, index)
        if step.after_minutes < previous:
            report(
                (*path, "after_minutes"),
                "escalation-order",
                f"escalation levels go up in time: {step.after_minutes} minutes comes before "
                f"the previous level's {previous}",
                "error",
            )
        previous = max(previous, step.after_minutes)


def _check_tenancy(parts: Parts, tier: Tier, report: Report) -> None:
    if parts.servers and parts.servers.tenancy not in tier.tenancy:
        report(
            ("spec", "servers", "tenancy"),
            "tenancy-not-offered",
            f"the {parts.tier} tier is {' or '.join(tier.tenancy)} only, "
            f"not {parts.servers.tenancy}",
            "error",
        )


def _check_application(parts: Parts, catalog: Catalog, report: Report) -> None:
    app = parts.application
    if app is None:
        return
    path = ("spec", "application")
    offer = catalog.applications.get(app.name)
    if offer is None:
        names = sorted(catalog.applications)
        report(
            (*path, "name"),
            "unknown-application",
            f"unknown application '{app.name}'; the catalog offers {', '.join(names)}"
            + did_you_mean(app.name, names),
            "error",
        )
        return
    if app.version not in offer.versions:
        report(
            (*path, "version"),
            "unknown-version",
            f"{app.name} has no version '{app.version}'; available: {', '.join(offer.versions)}",
            "error",
        )
    if app.edition not in offer.editions:
        report(
            (*path, "edition"),
            "unknown-edition",
            f"{app.name} has no edition '{app.edition}'; available: {', '.join(offer.editions)}"
            + did_you_mean(app.edition, offer.editions),
            "error",
        )
    if parts.platform is not None:
        missing = [m for m in offer.middleware if m not in parts.platform.middleware]
        if missing:
            report(
                ("spec", "platform", "middleware"),
                "middleware-missing",
                f"{app.name} needs {', '.join(missing)}; add "
                + ("it" if len(missing) == 1 else "them"),
                "error",
            )


def _check_network(parts: Parts, tier: Tier | None, report: Report) -> None:
    net = parts.network
    if net is None:
        return
    conn = net.connection
    if conn.type in ("mpls", "direct") and not conn.provider:
        report(
            ("spec", "network", "connection", "provider"),
            "provider-required",
            f"a {conn.type} connection needs the local provider's name (provider)",
            "error",
        )
    strict = tier is not None and tier.tenancy == ["dedicated"]
    for index, cidr in enumerate(net.allow_from):
        if cidr in OPEN_NETWORKS:
            if strict:
                report(
                    ("spec", "network", "allow_from", index),
                    "open-allowlist",
                    f"{cidr} allows the whole internet, which the {parts.tier} tier does not "
                    "permit; list the customer's networks",
                    "error",
                )
            else:
                report(
                    ("spec", "network", "allow_from", index),
                    "open-allowlist",
                    f"{cidr} allows the whole internet; list the customer's networks if you can",
                    "warning",
                )


def _check_security(parts: Parts, report: Report) -> None:
    sec = parts.security
    if sec is None:
        return
    _check_secret_names(sec, report)
    if sec.sso is None:
        return
    sso = sec.sso
    path = ("spec", "security", "sso")
    needs = {"saml": ("metadata_url",), "oidc": ("issuer", "client_id", "client_secret")}
    for key in needs[sso.protocol]:
        if getattr(sso, key) is None:
            report(
                (*path, key),
                "sso-field-missing",
                f"{sso.protocol} single sign-on needs {key}",
                "error",
            )
    other = "oidc" if sso.protocol == "saml" else "saml"
    for key in needs[other]:
        if getattr(sso, key) is not None:
            report(
                (*path, key),
                "sso-field-unused",
                f"{key} belongs to {other}, but the protocol is {sso.protocol}",
                "error",
            )


def _check_secret_names(security: Security, report: Report) -> None:
    """An ``env:`` secret never names a variable the run needs (PATH, ANSIBLE_*, ...)."""
    for path in secret_paths(Security):
        node: object = security
        for part in path:
            node = getattr(node, part, None)
        if not isinstance(node, str):
            continue
        kind, name = secretref.parse(node)
        if kind == "env" and secretref.reserved(name):
            report(
                ("spec", "security", *path),
                "secret-name-reserved",
                secretref.reserved_message(name),
                "error",
            )


def _check_users(parts: Parts, report: Report) -> None:
    users = parts.users
    if users is None:
        return
    roles = sorted(parts.security.roles) if parts.security else None
    names: dict[str, int] = {}
    emails: dict[str, int] = {}
    for index, user in enumerate(users):
        path = ("spec", "users", index)
        if roles is not None and user.role not in roles:
            report(
                (*path, "role"),
                "unknown-role",
                f"role '{user.role}' is not defined in spec.security.roles "
                f"(defined: {', '.join(roles)})" + did_you_mean(user.role, roles),
                "error",
            )
        if user.username in names:
            report(
                (*path, "username"),
                "duplicate-user",
                f"username '{user.username}' is already used by spec.users[{names[user.username]}]",
                "error",
            )
        names.setdefault(user.username, index)
        email = user.email.lower()
        if email in emails:
            report(
                (*path, "email"),
                "duplicate-email",
                f"e-mail '{user.email}' is already used by spec.users[{emails[email]}]",
                "error",
            )
        emails.setdefault(email, index)
    if parts.billing is not None and parts.billing.seats < len(users):
        report(
            ("spec", "billing", "seats"),
            "seats-below-users",
            f"{parts.billing.seats} seats is fewer than the {len(users)} users listed",
            "error",
        )


def _check_sizing(parts: Parts, catalog: Catalog, report: Report) -> None:
    if parts.application is None or parts.billing is None:
        return
    offer = catalog.applications.get(parts.application.name)
    if offer is None:
        return
    sizing, seats = offer.sizing, parts.billing.seats
    if parts.servers is not None:
        app_pools = [(i, p) for i, p in enumerate(parts.servers.pools) if p.role == "app"]
        cores = sum(p.count * p.cpu_cores for _, p in app_pools)
        servers = sum(p.count for _, p in app_pools)
        want = sizing.app_cores(seats)
        where: Path_ = (
            ("spec", "servers", "pools", app_pools[0][0])
            if app_pools
            else (
                "spec",
                "servers",
                "pools",
            )
        )
        if cores < want:
            report(
                where,
                "undersized",
                f"{cores} app cores for {seats} seats; the catalog recommends at least {want} "
                f"({sizing.seats_per_app_core} seats per core)",
                "warning",
            )
        if servers < sizing.min_app_servers:
            report(
                where,
                "undersized",
                f"{servers} app servers; {parts.application.name} needs at least "
                f"{sizing.min_app_servers}",
                "warning",
            )
    if parts.platform is not None:
        storage = sizing.storage_gb(seats)
        if parts.platform.storage.size_gb < storage:
            report(
                ("spec", "platform", "storage", "size_gb"),
                "undersized",
                f"{parts.platform.storage.size_gb} GB for {seats} seats; the catalog recommends "
                f"at least {storage} GB ({sizing.storage_gb_per_seat:g} GB per seat)",
                "warning",
            )
