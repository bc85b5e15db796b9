"""spec.support: the people a tier needs, the time zone, the holiday calendar, escalation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.spec.helpers import check, example, shown, write_spec


def _diagnostics(tmp_path: Path, source: str, edit: Any) -> list[tuple[str, str, str, int | None]]:
    path = write_spec(tmp_path, example(source), edit)
    return [(d.severity, d.code, d.field or "-", d.line) for d in check(path).diagnostics]


def test_gold_needs_a_service_manager(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        del d["spec"]["support"]["service_manager"]

    path = write_spec(tmp_path, example("acme-corp"), edit)
    (d,) = check(path).diagnostics
    assert (d.code, d.field) == ("support-contact-missing", "spec.support")
    assert "the gold tier needs a service manager" in d.message


def test_platinum_needs_a_primary_engineer(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        del d["spec"]["support"]["primary_engineer"]

    path = write_spec(tmp_path, example("globex-bank"), edit)
    (d,) = check(path).diagnostics
    assert d.code == "support-contact-missing" and "primary engineer" in d.message


def test_gold_without_support_is_told_what_to_add(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        del d["spec"]["support"]

    path = write_spec(tmp_path, example("acme-corp"), edit)
    (d,) = check(path).diagnostics
    assert (d.code, d.field) == ("support-contact-missing", "spec")


def test_silver_may_leave_support_out(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        del d["spec"]["support"]

    path = write_spec(tmp_path, example("northwind-traders"), edit)
    assert check(path).diagnostics == []


def test_an_unknown_time_zone(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["spec"]["support"]["timezone"] = "Europe/Gotham"

    path = write_spec(tmp_path, example("acme-corp"), edit)
    (tz,) = check(path).diagnostics
    assert (tz.code, tz.field) == ("invalid-value", "spec.support.timezone")
    assert "'Europe/Gotham' is not an IANA time zone" in tz.message
    assert "Europe/Gotham" in path.read_text().splitlines()[(tz.line or 0) - 1]


def test_an_unknown_holiday_country(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["spec"]["support"]["holidays"] = "XQ"

    path = write_spec(tmp_path, example("acme-corp"), edit)
    (d,) = check(path).diagnostics
    assert (d.code, d.field) == ("unknown-holiday-country", "spec.support.holidays"), shown([d])
    assert "no public holidays are known for the country 'XQ'" in d.message


def test_escalation_levels_are_unique_and_go_up_in_time(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["spec"]["support"]["escalation"] = [
            {"level": 1, "contact": "Desk", "after_minutes": 0},
            {"level": 2, "contact": "Manager", "after_minutes": 60},
            {"level": 2, "contact": "Head", "after_minutes": 30},
        ]

    codes = {(c, f) for _, c, f, _ in _diagnostics(tmp_path, "acme-corp", edit)}
    assert codes == {
        ("duplicate-escalation-level", "spec.support.escalation[2].level"),
        ("escalation-order", "spec.support.escalation[2].after_minutes"),
    }


def test_a_bad_phone_number(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["spec"]["support"]["service_manager"]["phone"] = "call me"

    path = write_spec(tmp_path, example("acme-corp"), edit)
    (d,) = check(path).diagnostics
    assert d.field == "spec.support.service_manager.phone"
    assert "'call me' must be a telephone number such as +46 8 555 010 00" in d.message
