"""Gates and sign-offs: a signature holds for the step result it accepted, and no other.

Each test signs off in a real SQLite state and plans the spec against it, as the CLI does.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from asp_provision.config import Settings, Workspace
from asp_provision.errors import UsageError, UserError
from asp_provision.plan.gates import check_gates
from asp_provision.plan.model import StepPlan
from asp_provision.service import Service
from asp_provision.signoff import sign_off
from asp_provision.spec.catalog import Catalog, Gate, load_catalog
from asp_provision.state.store import StateStore
from tests.plan.helpers import load_spec, record_applied

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "tests" / "plan" / "golden" / "first-plan" / "specs"


@pytest.fixture
def service(tmp_path: Path) -> Service:
    """A workspace of acme-corp (gold) and northwind-traders (silver), both applied but
    for go_live."""
    (tmp_path / "specs").mkdir()
    for name in ("acme-corp", "northwind-traders"):
        text = (SPECS / f"{name}.yaml").read_text(encoding="utf-8")
        (tmp_path / "specs" / f"{name}.yaml").write_text(text, encoding="utf-8")
        steps = {s: "applied" for s in _registry() if s != "go_live"}
        with StateStore(tmp_path / "state.db") as store:
            record_applied(store, load_spec(tmp_path / "specs" / f"{name}.yaml"), steps)
    return Service(Workspace(tmp_path, Settings(state=tmp_path / "state.db")))


def _registry() -> list[str]:
    from asp_provision.plan.steps import STEPS

    return list(STEPS)


def _steps(service: Service, customer: str) -> dict[str, StepPlan]:
    plan = service.plan([]).plan
    found = next(c for c in plan.customers if c.customer == customer)
    return {s.step: s for s in found.steps}


def _edit(service: Service, customer: str, old: str, new: str) -> None:
    path = service.workspace.root / "specs" / f"{customer}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_go_live_waits_for_every_gate_of_a_gold_customer(service: Service) -> None:
    go_live = _steps(service, "acme-corp")["go_live"]
    assert go_live.waiting and not go_live.runs
    assert go_live.gate is not None
    assert go_live.gate.missing == ["uat", "data-conversion", "training"]
    # a silver customer without data conversion has user acceptance alone
    northwind = _steps(service, "northwind-traders")["go_live"]
    assert northwind.gate is not None and northwind.gate.missing == ["uat"]


def test_a_sign_off_is_bound_to_the_step_as_applied(service: Service) -> None:
    signed = service.sign_off("northwind-traders", "uat", "Dana Reyes", "all good")
    snapshot = service.state_reader().snapshot()
    acceptance = snapshot.customers["northwind-traders"].steps["acceptance"]
    assert signed.entry.input_hash == acceptance.input_hash
    assert (signed.entry.by, signed.entry.note, signed.entry.step) == (
        "Dana Reyes",
        "all good",
        "acceptance",
    )
    go_live = _steps(service, "northwind-traders")["go_live"]
    assert go_live.runs and go_live.gate is not None and go_live.gate.signed


def test_the_gate_opens_again_when_the_signed_step_changes(service: Service) -> None:
    service.sign_off("northwind-traders", "uat", "Dana Reyes")
    # a user's role changes: acceptance, which checks users, will run with other inputs
    _edit(
        service,
        "northwind-traders",
        "akaur@northwind.example, role: sales",
        "akaur@northwind.example, role: admin",
    )
    steps = _steps(service, "northwind-traders")
    assert steps["acceptance"].runs
    assert steps["go_live"].waiting
    # a change acceptance does not read leaves the sign-off standing
    _edit(
        service,
        "northwind-traders",
        "akaur@northwind.example, role: admin",
        "akaur@northwind.example, role: sales",
    )
    _edit(service, "northwind-traders", "bandwidth_mbps: ", "bandwidth_mbps: 1")
    steps = _steps(service, "northwind-traders")
    assert steps["network"].runs and steps["go_live"].runs


def test_a_revocation_is_recorded_and_the_gate_is_open(service: Service) -> None:
    service.sign_off("northwind-traders", "uat", "Dana Reyes")
    revoked = service.sign_off("northwind-traders", "uat", "Dana Reyes", "found a bug", True)
    assert revoked.entry.action == "revoked" and revoked.entry.input_hash is None
    assert _steps(service, "northwind-traders")["go_live"].waiting
    with pytest.raises(UserError, match="nothing to revoke"):
        service.sign_off("northwind-traders", "uat", "Dana Reyes", revoke=True)
    rows = _rows(service, "SELECT gate, action, by, note FROM signoffs ORDER BY id")
    assert rows == [
        ("uat", "signed", "Dana Reyes", None),
        ("uat", "revoked", "Dana Reyes", "found a bug"),
    ]


def test_sign_offs_are_append_only(service: Service) -> None:
    service.sign_off("northwind-traders", "uat", "Dana Reyes")
    conn = sqlite3.connect(service.workspace.state_path)
    try:
        for statement in ("UPDATE signoffs SET by = 'x'", "DELETE FROM signoffs"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(statement)
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("customer", "gate", "message"),
    [
        ("nobody-corp", "uat", "customer nobody-corp is not in the state"),
        ("acme-corp", "go-live", "no gate 'go-live' in the catalog"),
        ("northwind-traders", "training", "its tier silver is not among the gate's tiers"),
        ("northwind-traders", "data-conversion", "no data conversion in the spec"),
    ],
)
def test_an_unknown_customer_or_gate_is_a_usage_error(
    service: Service, customer: str, gate: str, message: str
) -> None:
    serial = service.state_reader().serial()
    with pytest.raises(UsageError, match=message):
        service.sign_off(customer, gate, "Jane Doe")
    assert service.state_reader().serial() == serial  # nothing written


def test_nothing_to_sign_before_the_step_ran(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    text = (SPECS / "acme-corp.yaml").read_text(encoding="utf-8")
    (tmp_path / "specs" / "acme-corp.yaml").write_text(text, encoding="utf-8")
    with StateStore(tmp_path / "state.db") as store:
        sub = load_spec(tmp_path / "specs" / "acme-corp.yaml")
        record_applied(store, sub, {"network": "applied", "acceptance": ["applied", "failed"]})
    catalog = load_catalog()
    with pytest.raises(UserError, match="training step, which has not been applied yet"):
        sign_off(tmp_path / "state.db", 1.0, catalog, "acme-corp", "training", "Jane Doe")
    with pytest.raises(UserError, match=r"acceptance step, which failed last time \(run r2\)"):
        sign_off(tmp_path / "state.db", 1.0, catalog, "acme-corp", "uat", "Jane Doe")


@pytest.mark.parametrize(
    ("by", "message"),
    [("", "--by is empty"), ("Jane\nDoe", "control character"), ("x" * 201, "longer than")],
)
def test_the_signer_is_one_line_of_text(service: Service, by: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        service.sign_off("northwind-traders", "uat", by)


def _rows(service: Service, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(service.workspace.state_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _with_gates(**gates: Gate) -> Catalog:
    return load_catalog().model_copy(update={"gates": gates})


def test_the_catalogs_gates_name_steps_in_order() -> None:
    check_gates(load_catalog())
    with pytest.raises(UserError, match=r"gates.x.signs: no step 'uat'"):
        check_gates(_with_gates(x=Gate(signs="uat", before="go_live")))
    with pytest.raises(UserError, match="go_live runs after acceptance"):
        check_gates(_with_gates(x=Gate(signs="go_live", before="acceptance")))


def test_the_default_gates() -> None:
    gates = load_catalog().gates
    assert {n: (g.signs, g.before, g.tiers) for n, g in gates.items()} == {
        "uat": ("acceptance", "go_live", None),
        "data-conversion": ("data_conversion", "go_live", None),
        "training": ("training", "go_live", ["gold", "platinum"]),
    }
