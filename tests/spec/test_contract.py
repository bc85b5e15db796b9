"""Negotiated terms against the tier: weaker service levels warn, weaker policies fail.

Each test edits acme-corp (gold: 30-minute response, 4-hour resolution, 24x7, 99.9%,
phone/email/portal; passwords of 12, MFA, 90 days; 30-minute sessions; backups kept
30 days) and checks what validate says, where, and that it names the tier's value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.spec.helpers import check, example, only, position_of, shown, write_spec


def spec(data: dict[str, Any]) -> dict[str, Any]:
    section: dict[str, Any] = data["spec"]
    return section


def _set(data: dict[str, Any], dotted: str, value: object) -> None:
    node = spec(data)
    *parents, last = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


@pytest.mark.parametrize(
    ("field", "value", "needle", "message"),
    [
        (
            "sla.response_minutes",
            60,
            "response_minutes: 60",
            "a response within 60 minutes is less than the gold tier promises "
            "(within 30 minutes); leave it out to promise the tier's",
        ),
        (
            "sla.resolution_hours",
            8,
            "resolution_hours: 8",
            "resolution within 8 hours is less than the gold tier promises (within 4 hours)",
        ),
        (
            "sla.availability_pct",
            99.5,
            "availability_pct: 99.5",
            "99.5% availability is less than the gold tier promises (99.9%)",
        ),
        (
            "sla.support_hours",
            "business",
            "support_hours: business",
            "business-hours support is less than the gold tier promises (24x7)",
        ),
        (
            "sla.channels",
            ["email", "portal"],
            "channels:",
            "support by email, portal leaves out phone, which the gold tier promises "
            "(phone, email, portal)",
        ),
    ],
)
def test_a_weaker_service_level_is_a_warning_naming_the_tier_value(
    tmp_path: Path, field: str, value: object, needle: str, message: str
) -> None:
    path = write_spec(tmp_path, example(), lambda d: _set(d, field, value))
    result = check(path)
    d = only(result)
    assert (d.severity, d.code, d.field) == ("warning", "sla-below-tier", f"spec.{field}")
    assert (d.line, d.column) == position_of(path, needle)
    assert message in d.message
    assert result.subscription is not None  # a warning: the spec is still valid


@pytest.mark.parametrize(
    ("field", "value", "needle", "message"),
    [
        (
            "security.password_policy.min_length",
            8,
            "min_length: 8",
            "passwords of at least 8 characters are weaker than the gold tier's policy "
            "(at least 12)",
        ),
        (
            "security.password_policy.require_mfa",
            False,
            "require_mfa: false",
            "the gold tier's policy requires multi-factor authentication (require_mfa: true)",
        ),
        (
            "security.password_policy.max_age_days",
            180,
            "max_age_days: 180",
            "passwords changed every 180 days is weaker than the gold tier's policy "
            "(passwords changed every 90 days)",
        ),
        (
            "security.password_policy.max_age_days",
            0,
            "max_age_days: 0",
            "passwords that never expire is weaker than the gold tier's policy "
            "(passwords changed every 90 days)",
        ),
        (
            "security.session_timeout_minutes",
            60,
            "session_timeout_minutes: 60",
            "sessions of 60 minutes are longer than the gold tier allows (30 minutes)",
        ),
        (
            "platform.storage.backups.retention_days",
            7,
            "retention_days: 7",
            "backups kept 7 days is less than the gold tier promises (30 days)",
        ),
    ],
)
def test_a_weaker_policy_is_an_error_naming_the_tier_value(
    tmp_path: Path, field: str, value: object, needle: str, message: str
) -> None:
    path = write_spec(tmp_path, example(), lambda d: _set(d, field, value))
    result = check(path)
    d = only(result)
    assert (d.severity, d.code, d.field) == ("error", "policy-below-tier", f"spec.{field}")
    assert (d.line, d.column) == position_of(path, needle)
    assert d.message == message
    assert result.subscription is None


def test_stricter_policies_are_negotiated_freely(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        _set(d, "security.password_policy", {"min_length": 20, "max_age_days": 30})
        _set(d, "security.session_timeout_minutes", 5)
        _set(d, "platform.storage.backups.retention_days", 365)

    result = check(write_spec(tmp_path, example(), edit))
    assert result.diagnostics == [], shown(result.diagnostics)


def test_a_spec_without_sla_or_policy_takes_the_tier(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        del spec(d)["sla"]
        del spec(d)["security"]["password_policy"]
        del spec(d)["security"]["session_timeout_minutes"]
        del spec(d)["platform"]["storage"]["backups"]["retention_days"]

    result = check(write_spec(tmp_path, example(), edit))
    assert result.diagnostics == [], shown(result.diagnostics)
    assert result.subscription is not None


def test_a_tier_without_expiry_accepts_any_password_age(tmp_path: Path) -> None:
    from asp_provision.spec.catalog import DefaultPasswordPolicy, load_catalog
    from asp_provision.spec.check import check_file

    catalog = load_catalog()
    gold = catalog.tiers["gold"]
    never = gold.model_copy(
        update={
            "password_policy": DefaultPasswordPolicy(
                min_length=12, require_mfa=True, max_age_days=0
            )
        }
    )
    lenient = catalog.model_copy(update={"tiers": {**catalog.tiers, "gold": never}})
    path = write_spec(
        tmp_path, example(), lambda d: _set(d, "security.password_policy.max_age_days", 0)
    )
    assert check_file(path, lenient).diagnostics == []
