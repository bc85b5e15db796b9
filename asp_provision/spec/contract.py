"""Negotiated terms against the tier's promises: what a spec may not weaken.

A spec states only what was negotiated; the rest is its tier's. A negotiated service
level weaker than the tier's is allowed but worth a second look (a warning); a weaker
password policy, session timeout or backup retention is not allowed (an error). Both
name the tier's value. A spec that restates its tier's own values is fine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asp_provision.spec.catalog import Tier

if TYPE_CHECKING:
    from asp_provision.spec.rules import Parts, Report

SLA_CODE = "sla-below-tier"
_LEAVE_OUT = "; leave it out to promise the tier's"
POLICY_CODE = "policy-below-tier"


def check_below_tier(parts: Parts, tier: Tier, report: Report) -> None:
    """Report every negotiated term weaker than what ``tier`` promises."""
    _sla(parts, tier, report)
    _policy(parts, tier, report)


def _minutes(value: int) -> str:
    return f"{value} minute{'' if value == 1 else 's'}"


def _hours(value: int) -> str:
    return f"{value} hour{'' if value == 1 else 's'}"


def _sla(parts: Parts, tier: Tier, report: Report) -> None:
    sla, name = parts.sla, parts.tier
    if sla is None:
        return
    path = ("spec", "sla")

    def warn(key: str, message: str) -> None:
        report((*path, key), SLA_CODE, message + _LEAVE_OUT, "warning")

    if sla.response_minutes is not None and sla.response_minutes > tier.response_minutes:
        warn(
            "response_minutes",
            f"a response within {_minutes(sla.response_minutes)} is less than the {name} tier "
            f"promises (within {_minutes(tier.response_minutes)})",
        )
    if sla.resolution_hours is not None and sla.resolution_hours > tier.resolution_hours:
        warn(
            "resolution_hours",
            f"resolution within {_hours(sla.resolution_hours)} is less than the {name} tier "
            f"promises (within {_hours(tier.resolution_hours)})",
        )
    if sla.availability_pct is not None and sla.availability_pct < tier.availability_pct:
        warn(
            "availability_pct",
            f"{sla.availability_pct}% availability is less than the {name} tier promises "
            f"({tier.availability_pct}%)",
        )
    if sla.support_hours == "business" and tier.support_hours == "24x7":
        warn(
            "support_hours",
            f"business-hours support is less than the {name} tier promises (24x7)",
        )
    if sla.channels is not None:
        left_out = [c for c in tier.channels if c not in sla.channels]
        if left_out:
            warn(
                "channels",
                f"support by {', '.join(sla.channels) or 'no channel'} leaves out "
                f"{', '.join(left_out)}, which the {name} tier promises "
                f"({', '.join(tier.channels)})",
            )


def _policy(parts: Parts, tier: Tier, report: Report) -> None:
    name = parts.tier
    promised = tier.password_policy

    def weaker(path: tuple[str, ...], message: str) -> None:
        report(("spec", *path), POLICY_CODE, message, "error")

    if parts.security is not None:
        policy = parts.security.password_policy
        where = ("security", "password_policy")
        if policy.min_length is not None and policy.min_length < promised.min_length:
            weaker(
                (*where, "min_length"),
                f"passwords of at least {policy.min_length} characters are weaker than the "
                f"{name} tier's policy (at least {promised.min_length})",
            )
        if policy.require_mfa is False and promised.require_mfa:
            weaker(
                (*where, "require_mfa"),
                f"the {name} tier's policy requires multi-factor authentication "
                "(require_mfa: true)",
            )
        if policy.max_age_days is not None and _expires_later(
            policy.max_age_days, promised.max_age_days
        ):
            weaker(
                (*where, "max_age_days"),
                f"{_max_age(policy.max_age_days)} is weaker than the {name} tier's policy "
                f"({_max_age(promised.max_age_days)})",
            )
        timeout = parts.security.session_timeout_minutes
        if timeout is not None and timeout > tier.session_timeout_minutes:
            weaker(
                ("security", "session_timeout_minutes"),
                f"sessions of {_minutes(timeout)} are longer than the {name} tier allows "
                f"({_minutes(tier.session_timeout_minutes)})",
            )
    if parts.platform is not None:
        kept = parts.platform.storage.backups.retention_days
        if kept is not None and kept < tier.backup_retention_days:
            weaker(
                ("platform", "storage", "backups", "retention_days"),
                f"backups kept {kept} days is less than the {name} tier promises "
                f"({tier.backup_retention_days} days)",
            )


def _expires_later(days: int, promised: int) -> bool:
    """Whether passwords kept ``days`` (0: never expire) outlive the ``promised`` age."""
    if promised == 0:
        return False
    return days == 0 or days > promised


def _max_age(days: int) -> str:
    return "passwords that never expire" if days == 0 else f"passwords changed every {days} days"
