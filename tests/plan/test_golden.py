"""Golden planner cases: specs + recorded state -> the expected plan JSON.

Each folder under ``golden/`` is one case:

- ``specs/*.yaml``: the desired specs, planned as ``specs/`` from the case folder;
- ``state.yaml`` (optional): what was applied, in the format described in
  :mod:`tests.plan.helpers`; it is written to a real SQLite state in a temporary folder
  with :class:`~asp_provision.state.store.StateStore`. Without it the state is missing;
- ``expected.json``: the plan as ``plan --format json`` prints it, without the volatile
  ``created_at`` and ``catalog_hash``. Every case is planned on 2026-12-01 (``ASP_NOW``),
  the day go-live projections count from.

To regenerate every ``expected.json`` after an intended change of the planner, run::

    ASP_UPDATE_GOLDEN=1 pytest tests/plan/test_golden.py

then read the diff of each file before committing it: a golden file is only as good as
the review it had. The checks below the golden test hold whatever the files say.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asp_provision.config import Settings, Workspace
from asp_provision.plan.model import Plan
from asp_provision.plan.steps import PHASES, STEPS, follows
from asp_provision.render.plan import plan_text
from asp_provision.service import Service
from asp_provision.spec.catalog import load_catalog
from tests.plan.helpers import build_state, load_spec, read_state_file

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "specs").is_dir())
VOLATILE = ("created_at", "catalog_hash")
TODAY = dt.date(2026, 12, 1)


def run_case(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Plan:
    """Build the case's state in ``tmp_path`` and plan its specs as the CLI does."""
    folder = GOLDEN / case
    state_path = tmp_path / "state.db"
    state_file = folder / "state.yaml"
    if state_file.exists():
        build_state(read_state_file(state_file), folder, state_path)
    monkeypatch.chdir(folder)  # spec paths in the plan are relative to the case folder
    monkeypatch.setenv("ASP_NOW", TODAY.isoformat())
    service = Service(Workspace(folder, Settings(state=state_path)))
    plan = service.plan([]).plan
    if not state_file.exists():
        assert not state_path.exists(), "planning created the state database"
    return plan


def comparable(plan: Plan) -> dict[str, Any]:
    """The plan JSON without what changes from one run to the next."""
    data = json.loads(plan.model_dump_json())
    for key in VOLATILE:
        del data[key]
    return data


@pytest.fixture(params=CASES)
def case(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Plan]:
    """Each case planned once for this module (plans are frozen, so sharing is safe)."""
    cache: dict[str, Plan] = {}

    def get(case: str) -> Plan:
        if case not in cache:
            with pytest.MonkeyPatch.context() as monkeypatch:
                cache[case] = run_case(case, tmp_path_factory.mktemp(case), monkeypatch)
        return cache[case]

    return get


def test_cases_exist() -> None:
    assert {
        "first-plan",
        "no-change",
        "one-field-changed",
        "users-added-and-removed",
        "tier-upgrade",
        "customer-orphaned",
        "step-failed-last-time",
        "secret-reference-changed",
        "waiting-for-sign-off",
        "signed-off",
        "sign-off-lapsed",
    } <= set(CASES)


def test_golden(case: str, planned: Callable[[str], Plan]) -> None:
    actual = comparable(planned(case))
    expected_file = GOLDEN / case / "expected.json"
    if os.environ.get("ASP_UPDATE_GOLDEN") == "1":
        expected_file.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
    assert expected_file.exists(), f"no {expected_file}; run with ASP_UPDATE_GOLDEN=1"
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert actual == expected


# Checks that hold in every case, so a regenerated golden file cannot hide a broken rule.


def test_hours_only_on_steps_that_run(case: str, planned: Callable[[str], Plan]) -> None:
    plan = planned(case)
    for customer in plan.customers:
        for step in customer.steps:
            # a step waiting for a sign-off is work ahead: its hours count
            if not (step.runs or step.waiting):
                assert step.hours == 0, (customer.customer, step)
            if step.hours:
                assert step.runs or step.waiting, (customer.customer, step)
            if step.action == "no-op":
                assert step.changes == []
        assert customer.estimate_hours == pytest.approx(sum(s.hours for s in customer.steps))
        steps = {s.step: s for s in customer.steps}
        assert list(steps) == list(STEPS)
        for name in STEPS:
            if any(steps[s].runs for s in follows(name)) and steps[name].input_hash:
                assert steps[name].runs, f"{name} runs whenever a step it follows runs"


def test_gated_steps_wait_unless_signed(case: str, planned: Callable[[str], Plan]) -> None:
    plan = planned(case)
    for customer in plan.customers:
        for step in customer.steps:
            if step.gate is not None:
                assert step.action != "no-op"
                assert step.waiting == (not step.gate.signed)
            assert not (step.waiting and step.runs)


def test_phases_add_up_to_the_estimate(case: str, planned: Callable[[str], Plan]) -> None:
    plan = planned(case)
    for customer in plan.customers:
        assert list(customer.estimate_phases) == list(PHASES)
        assert sum(customer.estimate_phases.values()) == pytest.approx(customer.estimate_hours)
        for step in customer.steps:
            assert sum(step.phases.values()) == pytest.approx(step.hours), step
    assert plan.summary["estimate_phases"] == {
        phase: pytest.approx(sum(c.estimate_phases[phase] for c in plan.customers))
        for phase in PHASES
    }


def test_go_live_is_projected_for_the_work_left(case: str, planned: Callable[[str], Plan]) -> None:
    plan = planned(case)
    capacity = load_catalog().capacity_hours_per_day
    for customer in plan.customers:
        if not customer.estimate_hours:  # no work ahead: nothing changes, nothing waits
            assert customer.go_live_projected is None
            continue
        spec = load_spec(GOLDEN / case / customer.path).spec
        projected = dt.date.fromisoformat(str(customer.go_live_projected))
        start = max(TODAY, spec.billing.start_date)
        # one working day holds `capacity` hours: the projection is at least that many
        # weekdays after the start, and a weekday itself
        assert projected >= start and projected.weekday() < 5
        weekdays = sum(
            1
            for n in range((projected - start).days + 1)
            if (start + dt.timedelta(days=n)).weekday() < 5
        )
        assert weekdays >= customer.estimate_hours / capacity
        early = [w for w in customer.warnings if w.code == "go-live-early"]
        go_live = spec.onboarding.go_live if spec.onboarding else None
        assert bool(early) == (go_live is not None and go_live < projected), customer.customer
        if early:
            assert str(projected) in early[0].message


def test_charges_follow_the_catalog(case: str, planned: Callable[[str], Plan]) -> None:
    plan = planned(case)
    catalog = load_catalog()
    for customer in plan.customers:
        spec = load_spec(GOLDEN / case / customer.path).spec
        prices = catalog.tiers[spec.tier].prices
        rate = catalog.currencies[spec.billing.currency]
        c = customer.charges
        assert c.currency == spec.billing.currency
        assert c.base == pytest.approx(prices.base * rate)
        assert c.seats == pytest.approx(spec.billing.seats * prices.per_seat * rate)
        assert c.bandwidth == pytest.approx(spec.network.bandwidth_mbps * prices.per_mbps * rate)
        assert c.monthly == pytest.approx(c.base + c.seats + c.bandwidth + c.discount)
        assert c.annual == pytest.approx(10 * c.monthly)


def test_summary_totals_the_customers(case: str, planned: Callable[[str], Plan]) -> None:
    plan = planned(case)
    summary = plan.model_dump(mode="json")["summary"]
    steps = [s.action for c in plan.customers for s in c.steps if not s.waiting]
    assert summary["customers"] == len(plan.customers)
    assert (summary["create"], summary["update"], summary["no-op"], summary["waiting"]) == (
        steps.count("create"),
        steps.count("update"),
        steps.count("no-op"),
        sum(1 for c in plan.customers for s in c.steps if s.waiting),
    )
    assert summary["estimate_hours"] == pytest.approx(sum(c.estimate_hours for c in plan.customers))
    currencies = {c.charges.currency for c in plan.customers}
    assert summary["monthly_charges"] == {
        cur: pytest.approx(
            sum(c.charges.monthly for c in plan.customers if c.charges.currency == cur)
        )
        for cur in currencies
    }


def test_nothing_secret_in_the_plan(case: str, planned: Callable[[str], Plan]) -> None:
    text = planned(case).model_dump_json()
    for reference in ("env:", "file:"):
        assert reference not in text


def _text(plan: Plan) -> str:
    out = io.StringIO()
    plan_text(plan, out)
    return out.getvalue()


def _actions(plan: Plan, customer: str) -> dict[str, str]:
    found = next(c for c in plan.customers if c.customer == customer)
    return {s.step: s.action for s in found.steps}


# What each case is about, as a reader of `asp-provision plan` would check it.


def test_first_plan_creates_everything(planned: Callable[[str], Plan]) -> None:
    plan = planned("first-plan")
    assert plan.state_serial == 0
    # but northwind-traders' data conversion (it has none) and three go-lives, which wait
    # for their sign-offs
    assert plan.count("create") == 3 * len(STEPS) - 1 - 3
    assert plan.waiting == 3
    reasons = {
        s.reason for c in plan.customers for s in c.steps if not STEPS[s.step].follows_changes
    }
    assert reasons == {"never applied", "no data conversion in the spec"}
    created = (
        f"Plan: {3 * len(STEPS) - 4} to create, 0 to update, 1 unchanged, 3 waiting for "
        "sign-off across 3 customers."
    )
    assert created in _text(plan)
    assert "|| go_live         waiting for sign-off: uat, data-conversion, training" in _text(plan)


def test_no_change(planned: Callable[[str], Plan]) -> None:
    plan = planned("no-change")
    # 2 earlier writes, then per customer one spec and each step
    assert plan.state_serial == 2 + 2 * (1 + len(STEPS))
    assert not plan.changed
    assert all(c.estimate_hours == 0 for c in plan.customers)
    unchanged = f"Plan: 0 to create, 0 to update, {2 * len(STEPS)} unchanged across 2 customers."
    assert unchanged + " No changes." in _text(plan)


def test_one_field_changed(planned: Callable[[str], Plan]) -> None:
    plan = planned("one-field-changed")
    actions = _actions(plan, "acme-corp")
    # the charge follows the bandwidth, so the billing ledger is updated too
    # acceptance checks the service after every change
    assert {s for s, a in actions.items() if a != "no-op"} == {
        "network",
        "billing",
        "verify",
        "acceptance",
    }
    assert actions["network"] == actions["billing"] == actions["verify"] == "update"
    assert "~ network.bandwidth_mbps: 100 -> 200" in _text(plan)
    assert plan.customers[0].charges.bandwidth == 600  # 200 Mbps x 3 (gold)


def test_users_keyed_by_username(planned: Callable[[str], Plan]) -> None:
    plan = planned("users-added-and-removed")
    users = next(s for s in plan.customers[0].steps if s.step == "users")
    assert users.action == "update"
    assert [(c.op, c.path) for c in users.changes] == [
        ("~", "users[jdoe].email"),
        ("-", "users[olduser]"),
        ("+", "users[bsmith]"),
    ]
    text = _text(plan)
    assert '~ users[jdoe].email: "jdoe@acme.example" -> "jane.doe@acme.example"' in text
    assert "- users[olduser]\n" in text
    assert "+ users[bsmith]\n" in text


def test_tier_upgrade(planned: Callable[[str], Plan]) -> None:
    plan = planned("tier-upgrade")
    actions = _actions(plan, "acme-corp")
    running = {s for s, a in actions.items() if a != "no-op"}
    # every step that reads a value of the tier
    assert running == {
        "platform",
        "security",
        "application",
        "billing",
        "reporting",
        "verify",
        "acceptance",
        "training",  # the invitations come from the tier's service manager, who changed
    }
    text = _text(plan)
    assert '~ tier.name: "gold" -> "platinum"' in text
    # no sla or policy in the spec: they follow the tier's promise
    assert "~ sla.response_minutes: 30 -> 5" in text
    assert "~ sla.resolution_hours: 4 -> 1" in text
    assert "~ security.password_policy.min_length: 12 -> 14" in text
    assert "~ security.session_timeout_minutes: 30 -> 15" in text
    assert "~ platform.storage.backups.retention_days: 30 -> 90" in text
    assert "~ tier.prices.base: 1500.0 -> 4000.0" in text


def test_customer_orphaned(planned: Callable[[str], Plan]) -> None:
    plan = planned("customer-orphaned")
    assert [c.customer for c in plan.customers] == ["northwind-traders"]
    assert [(o.customer, o.spec_path, o.applied_steps) for o in plan.orphaned] == [
        ("acme-corp", "specs/acme-corp.yaml", list(STEPS)),
        ("globex-bank", "customers/globex-bank.yaml", ["network", "servers", "security"]),
    ]
    assert "use `asp-provision destroy CUSTOMER`" in _text(plan)


def test_step_failed_last_time(planned: Callable[[str], Plan]) -> None:
    plan = planned("step-failed-last-time")
    steps = {s.step: s for s in plan.customers[0].steps}
    assert (steps["users"].action, steps["users"].reason) == ("create", "failed last time (run r1)")
    assert (steps["billing"].action, steps["billing"].reason) == (
        "update",
        "failed last time (run r2)",
    )
    assert steps["billing"].changes == []
    assert (steps["reporting"].action, steps["reporting"].reason) == ("create", "never applied")
    assert steps["verify"].action == "create"
    assert {n for n, s in steps.items() if not s.runs} == {
        "network",
        "servers",
        "platform",
        "security",
        "application",
        "go_live",  # never applied: it waits for its sign-offs
    }


def test_secret_reference_change(planned: Callable[[str], Plan]) -> None:
    plan = planned("secret-reference-changed")
    security = next(s for s in plan.customers[0].steps if s.step == "security")
    assert security.action == "update"
    assert [c.model_dump() for c in security.changes] == [
        {
            "op": "~",
            "path": "security.sso.client_secret",
            "before": "(secret)",
            "after": "(secret)",
        }
    ]
    assert '~ security.sso.client_secret: "(secret)" -> "(secret)"' in _text(plan)


def test_sso_added_hides_the_secret_reference(planned: Callable[[str], Plan]) -> None:
    plan = planned("sso-added")
    security = next(s for s in plan.customers[0].steps if s.step == "security")
    assert security.action == "update"
    added = [c for c in security.changes if c.op == "+"]
    assert added and all(c.after == "(secret)" for c in added if c.path.endswith("client_secret"))
    assert "NORTHWIND_OIDC_SECRET" not in plan.model_dump_json()


def test_verify_updates_when_only_what_it_reads_changed(planned: Callable[[str], Plan]) -> None:
    plan = planned("onboarding-changed")
    verify = next(s for s in plan.customers[0].steps if s.step == "verify")
    assert verify.action == "update"
    assert [(c.op, c.path, c.before, c.after) for c in verify.changes] == [
        ("~", "onboarding.go_live", "2027-01-15", "2027-02-01")
    ]
    assert plan.changed


def test_go_live_waits_for_the_gates_that_apply(planned: Callable[[str], Plan]) -> None:
    plan = planned("waiting-for-sign-off")
    by = {c.customer: {s.step: s for s in c.steps} for c in plan.customers}
    # gold, converting data and training its users: three gates, none signed
    acme = by["acme-corp"]["go_live"]
    assert acme.waiting and acme.gate is not None
    assert acme.gate.missing == ["uat", "data-conversion", "training"]
    # silver without a data conversion: only user acceptance, signed off
    northwind = by["northwind-traders"]["go_live"]
    assert northwind.runs and northwind.gate is not None and northwind.gate.signed
    data = plan.model_dump(mode="json")
    go_live = next(s for s in data["customers"][0]["steps"] if s["step"] == "go_live")
    assert go_live["gate"] == {
        "name": "uat",
        "signed": False,
        "also": ["data-conversion", "training"],
    }
    assert data["summary"]["waiting"] == 1
    text = _text(plan)
    assert "acme-corp  ACME Corporation" in text and "1 waiting for sign-off" in text
    assert "|| go_live         waiting for sign-off: uat, data-conversion, training" in text
    assert "+ go_live         create   never applied (signed off: uat)" in text


def test_go_live_runs_once_every_gate_is_signed(planned: Callable[[str], Plan]) -> None:
    plan = planned("signed-off")
    go_live = plan.customers[0].steps[-1]
    assert (go_live.step, go_live.action, go_live.runs) == ("go_live", "create", True)
    assert go_live.gate is not None and go_live.gate.signed
    assert plan.waiting == 0


def test_a_sign_off_lapses_when_its_step_changes(planned: Callable[[str], Plan]) -> None:
    plan = planned("sign-off-lapsed")
    steps = {s.step: s for s in plan.customers[0].steps}
    assert steps["users"].runs and steps["acceptance"].runs
    # acceptance checks the users: it was signed off with other inputs
    assert steps["go_live"].waiting and steps["go_live"].gate is not None
    assert steps["go_live"].gate.missing == ["uat"]
