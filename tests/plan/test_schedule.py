"""The estimate by onboarding phase, and the go-live it projects over working days."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from asp_provision.errors import UsageError
from asp_provision.now import now, today
from asp_provision.plan import effort
from asp_provision.plan.schedule import EARLY, go_live_rule, projected_go_live
from asp_provision.spec.catalog import Catalog, load_catalog
from asp_provision.spec.check import check_file
from tests.cli.helpers import run_cli
from tests.spec.helpers import acme_workspace, example, position_of, write_spec

MON = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("hours", "start", "country", "expected"),
    [
        (8, MON, None, MON),  # one day's work is done the day it starts
        (16, MON, None, MON + dt.timedelta(days=1)),
        (16.01, MON, None, MON + dt.timedelta(days=2)),  # a little more is another day
        (40, MON, None, dt.date(2026, 12, 4)),  # a week: Monday to Friday
        (48, MON, None, dt.date(2026, 12, 7)),  # the weekend is not worked
        (8, dt.date(2026, 12, 5), None, dt.date(2026, 12, 7)),  # begun on a Saturday
        # Sweden: Christmas Day and Boxing Day, then New Year's Day
        (24, dt.date(2026, 12, 24), "SE", dt.date(2026, 12, 29)),
        (24, dt.date(2026, 12, 24), None, dt.date(2026, 12, 28)),
        (8, dt.date(2027, 1, 1), "SE", dt.date(2027, 1, 4)),
        # the United States: Thanksgiving
        (16, dt.date(2026, 11, 25), "US", dt.date(2026, 11, 27)),
    ],
)
def test_work_is_done_on_the_last_of_its_working_days(
    hours: float, start: dt.date, country: str | None, expected: dt.date
) -> None:
    assert projected_go_live(hours, start, 8, country) == expected


def test_no_work_has_no_projection() -> None:
    assert projected_go_live(0, MON, 8) is None


def test_a_bigger_team_goes_live_sooner() -> None:
    assert projected_go_live(80, MON, 8) == dt.date(2026, 12, 11)
    assert projected_go_live(80, MON, 16) == dt.date(2026, 12, 4)


def _catalog(**effort: dict[str, Any]) -> Catalog:
    base = load_catalog()
    table = {k: v.model_dump() for k, v in base.effort.items()}
    table.update(effort)
    return base.model_copy(
        update={
            "effort": Catalog.model_validate(
                {**base.model_dump(by_alias=True), "effort": table}
            ).effort
        }
    )


def _acme(tmp_path: Path, **onboarding: Any) -> Any:
    data = example()
    data["spec"]["onboarding"].update(onboarding)
    return check_file(write_spec(tmp_path, data), load_catalog()).subscription


def test_converted_records_and_training_count_towards_their_phases(tmp_path: Path) -> None:
    sub = _acme(
        tmp_path,
        data_conversion={"source": "csv", "records": 120_000},
        training={"sessions": 2, "attendees": 12},
    )
    catalog = load_catalog()
    counts = effort.units(sub)
    # the onboarding steps carry these terms: data_conversion 0.1 per 10,000 records,
    # training 3 a session; provisioning steps keep only their own hours
    assert effort.phase_hours(sub, catalog, "data_conversion", counts) == {"data conversion": 1.2}
    assert effort.phase_hours(sub, catalog, "training", counts) == {"training": 6.0}
    assert effort.phase_hours(sub, catalog, "application", counts) == {"provisioning": 6.0}
    users = effort.phase_hours(sub, catalog, "users", counts)
    assert users == {"provisioning": pytest.approx(1 + 0.1 * len(sub.spec.users))}
    for step in ("network", "application", "users", "verify", "data_conversion", "training"):
        assert sum(effort.phase_hours(sub, catalog, step, counts).values()) == pytest.approx(
            effort.step_hours(sub, catalog, step, counts)
        )


def test_a_unit_keeps_its_phase_whichever_step_counts_it(tmp_path: Path) -> None:
    # records moved to another step's effort still count as data conversion: the hours
    # follow the term, so a step of their own takes them over by its catalog entry alone
    sub = _acme(tmp_path, data_conversion={"source": "csv", "records": 500_000})
    catalog = _catalog(application={"base": 6}, servers={"base": 2, "per": {"records_10k": 0.5}})
    counts = effort.units(sub)
    assert effort.phase_hours(sub, catalog, "application", counts) == {"provisioning": 6.0}
    servers = effort.phase_hours(sub, catalog, "servers", counts)
    assert servers == {"provisioning": 2.0, "data conversion": 25.0}


def test_rounding_leaves_the_parts_adding_up_to_the_step(tmp_path: Path) -> None:
    sub = _acme(tmp_path, data_conversion={"source": "csv", "records": 12_345})
    catalog = _catalog(application={"base": 6.333, "per": {"records_10k": 0.1111}})
    counts = effort.units(sub)
    parts = effort.phase_hours(sub, catalog, "application", counts)
    assert round(sum(parts.values()), 2) == effort.step_hours(sub, catalog, "application", counts)


def _validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on: str, **onboarding: Any) -> Any:
    monkeypatch.setenv("ASP_NOW", on)
    data = example()
    data["spec"]["onboarding"].update(onboarding)
    path = write_spec(tmp_path, data)
    return path, check_file(path, load_catalog(), extra=(go_live_rule,))


def test_validate_warns_of_a_go_live_before_the_projection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, result = _validate(tmp_path, monkeypatch, "2026-12-01", go_live="2026-12-03")
    early = [d for d in result.diagnostics if d.code == EARLY]
    assert len(early) == 1 and early[0].severity == "warning"
    assert (early[0].line, early[0].column) == position_of(path, "go_live:")
    assert early[0].field == "spec.onboarding.go_live"
    assert "projected 2026-12-" in early[0].message
    assert result.subscription is not None  # a warning: the spec is still valid


def test_validate_leaves_a_reachable_or_past_go_live_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for on, go_live in (("2026-12-01", "2027-03-01"), ("2027-06-01", "2026-12-03")):
        _, result = _validate(tmp_path, monkeypatch, on, go_live=go_live)
        assert [d for d in result.diagnostics if d.code == EARLY] == [], (on, go_live)


def test_plan_projects_the_work_left_and_warns(tmp_path: Path) -> None:
    ws = acme_workspace(tmp_path / "ws")
    spec = ws / "specs" / "acme-corp.yaml"
    text = spec.read_text().replace("go_live: 2026-12-15", "go_live: 2026-12-02")
    spec.write_text(text)
    env = {"ASP_NOW": "2026-12-01"}
    result = run_cli("-C", str(ws), "plan", "-f", "json", env=env)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    customer = plan["customers"][0]
    assert customer["go_live_projected"] >= "2026-12-07"
    assert [w["code"] for w in customer["warnings"]] == [EARLY]
    assert customer["go_live_projected"] in customer["warnings"][0]["message"]
    phases = customer["estimate_phases"]
    assert list(phases) == ["provisioning", "data conversion", "acceptance", "training", "go-live"]
    assert sum(phases.values()) == pytest.approx(customer["estimate_hours"])
    assert plan["summary"]["estimate_phases"] == phases
    text_plan = run_cli("-C", str(ws), "plan", env=env)
    assert f"go-live: projected {customer['go_live_projected']}" in text_plan.stdout
    assert "(go-live-early)" in text_plan.stdout


def test_asp_now_sets_the_day_or_the_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASP_NOW", "2026-12-01")
    assert today() == today("Pacific/Auckland") == dt.date(2026, 12, 1)
    monkeypatch.setenv("ASP_NOW", "2026-12-01T23:30:00+00:00")
    assert today() == dt.date(2026, 12, 1)
    assert today("Europe/Stockholm") == dt.date(2026, 12, 2)
    assert now().tzinfo is not None
    monkeypatch.setenv("ASP_NOW", "2026-12-01T23:30:00")  # no offset: ambiguous
    with pytest.raises(UsageError, match="ASP_NOW"):
        today()
    monkeypatch.delenv("ASP_NOW")
    assert now().tzinfo is not None
