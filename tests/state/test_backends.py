"""The whole state on both back ends, SQLite and PostgreSQL: the same calls, the same data."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest

from asp_provision.errors import StateError
from asp_provision.state import ledger, phases, sla
from asp_provision.state.addresses import Wanted
from asp_provision.state.schema import MIGRATIONS, SCHEMA_VERSION
from asp_provision.state.signoffs import SignOff, history, record
from asp_provision.state.store import Snapshot, StateReader, StateStore
from asp_provision.state.url import PgUrl, StateLocation
from tests.state.backends import BACKENDS, execute, location, rows, version

SPEC = {"metadata": {"customer": "acme-corp"}, "spec": {"tier": "gold"}}


@pytest.fixture(params=BACKENDS)
def state(request: pytest.FixtureRequest, tmp_path: Path) -> StateLocation:
    return location(request, tmp_path)


def test_an_empty_state_reads_as_empty_and_is_not_created(state: StateLocation) -> None:
    reader = StateReader(state)
    assert reader.snapshot() == Snapshot(0, {})
    assert reader.runs() == []
    if isinstance(state, PgUrl):
        assert rows(state, "SELECT to_regclass('asp_schema')") == [(None,)]
    else:
        assert not state.exists()


def test_runs_are_recorded_newest_first(state: StateLocation) -> None:
    with StateStore(state) as store:
        store.begin_run("r1", "apply", ["acme-corp"], "runs/r1.log", {"plan": 1})
        store.finish_run("r1", "succeeded")
        store.begin_run("r2", "destroy", ["acme-corp", "globex"], "runs/r2.log", None)
    runs = StateReader(state).runs()
    assert [(r.run_id, r.command, r.outcome) for r in runs] == [
        ("r2", "destroy", "running"),
        ("r1", "apply", "succeeded"),
    ]
    assert runs[1].plan == {"plan": 1} and runs[1].finished_at is not None
    assert runs[0].customers == ["acme-corp", "globex"]
    assert StateReader(state).last_runs()["globex"].run_id == "r2"
    assert StateReader(state).serial() == 3


def test_steps_keep_the_last_applied_inputs_and_every_result(state: StateLocation) -> None:
    with StateStore(state) as store:
        store.record_spec("acme-corp", SPEC, "specs/acme-corp.yaml")
        store.record_step(
            "acme-corp", "network", "r1", succeeded=True, input_hash="h1", inputs={"bw": 100}
        )
        store.record_step("acme-corp", "network", "r2", succeeded=False, message="100% lost")
        store.record_step("acme-corp", "servers", "r2", succeeded=True, input_hash="h2")
        store.forget_step("acme-corp", "servers", "r3")
    customer = StateReader(state).snapshot().customers["acme-corp"]
    assert customer.spec == SPEC and customer.spec_path == "specs/acme-corp.yaml"
    network = customer.steps["network"]
    assert (network.status, network.input_hash, network.inputs) == ("failed", "h1", {"bw": 100})
    assert network.message == "100% lost"
    assert set(customer.steps) == {"network"}
    journal = rows(state, "SELECT step, result, run_id FROM step_results ORDER BY id")
    assert journal == [
        ("network", "applied", "r1"),
        ("network", "failed", "r2"),
        ("servers", "applied", "r2"),
        ("servers", "torn-down", "r3"),
    ]
    with StateStore(state) as store:
        store.forget_customer("acme-corp")
    assert StateReader(state).snapshot().customers == {}


def test_allocations_are_kept_and_never_shared(state: StateLocation) -> None:
    pool = Wanted.default()
    with StateStore(state) as store:
        first = store.allocate(Wanted(("acme-corp", "globex"), pool.pool, 24))
        again = store.allocate(Wanted(("acme-corp", "globex", "initech"), pool.pool, 24))
    assert {c: a.subnet for c, a in first.items()} == {
        "acme-corp": "10.0.0.0/24",
        "globex": "10.0.1.0/24",
    }
    assert again["acme-corp"] == first["acme-corp"] and again["initech"].subnet == "10.0.2.0/24"
    assert StateReader(state).snapshot().addresses == again
    with StateStore(state) as store:
        store.forget_customer("globex")
    assert set(StateReader(state).snapshot().addresses) == {"acme-corp", "initech"}


def test_ledger_numbers_without_gaps_and_samples_once(state: StateLocation) -> None:
    with StateStore(state) as store, store.transaction() as conn:
        numbers = [ledger.next_number(conn, "INV", 2026) for _ in range(3)]
        assert (
            ledger.add_samples(conn, [("acme-corp", "seats", 1, "50"), ("acme-corp", "gb", 1, "7")])
            == 2
        )
        assert (
            ledger.add_samples(conn, [("acme-corp", "seats", 1, "50"), ("acme-corp", "gb", 1, "8")])
            == 1
        )
        ledger.record_change(conn, "acme-corp", "2026-01-01", '{"seats": 50}', "r1")
        ledger.record_change(conn, "acme-corp", "2026-03-01", None, "r2")
        ledger.record_invoice(
            conn, {"number": numbers[0], "customer": "acme-corp", "period": "2026-01"}
        )
        ledger.record_credit_note(conn, {"number": "CN-2026-000001", "invoice": numbers[0]})
        assert sorted(ledger.samples(conn, "acme-corp", 0, 10)) == [("gb", "8"), ("seats", "50")]
        assert ledger.latest_terms(conn, "acme-corp") is None
        assert [c.effective for c in ledger.changes(conn, ["acme-corp"])] == [
            "2026-01-01",
            "2026-03-01",
        ]
        assert ledger.invoice(conn, "acme-corp", "2026-01") is None  # credited
        assert ledger.credit_pct(conn, "acme-corp", "2026-01") is None
    assert numbers == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    assert rows(state, "SELECT credited_by FROM invoices") == [("CN-2026-000001",)]


def test_service_levels_import_and_a_credit_once(state: StateLocation) -> None:
    store = StateStore(state)
    try:
        assert sla.write_tickets(store, [("T1", "acme-corp", "P1", "mail", 10.0, 20.0, 30.0)]) == (
            1,
            0,
        )
        assert sla.write_tickets(store, [("T1", "acme-corp", "P2", "mail", 10.0, 20.0, 40.0)]) == (
            0,
            1,
        )
        assert sla.write_outages(store, [("acme-corp", 5.0, 15.0, False)]) == (1, 0)
        first, new = sla.record_credit(store, "acme-corp", "2026-01", Decimal("10"), ["P1 late"])
        again, renewed = sla.record_credit(store, "acme-corp", "2026-01", Decimal("25"), [])
    finally:
        store.close()
    assert new and not renewed and again.pct == first.pct == Decimal("10")
    with sla.SlaReader(StateReader(state)).open() as view:
        assert view.tickets("acme-corp", 0, 100) == {"P2": [(10.0, 20.0, 40.0)]}
        assert view.outages("acme-corp", 0, 100) == [(5.0, 15.0, 0)]


def test_signoffs_are_append_only(state: StateLocation) -> None:
    entry = SignOff("acme-corp", "uat", "signed", "ann", "looks right", "application", "h1", 5.0)
    with StateStore(state) as store:
        with store.transaction() as conn:
            record(conn, entry)
        for change in ("UPDATE signoffs SET by = 'mallory'", "DELETE FROM signoffs"):
            with pytest.raises(StateError, match="append-only"), store.transaction() as conn:
                conn.execute(change)
        with store.transaction() as conn:
            assert history(conn, "acme-corp") == [entry]
    assert StateReader(state).snapshot().signoffs["acme-corp"]["uat"] == entry
    with pytest.raises(Exception, match="append-only"):
        execute(state, "DELETE FROM signoffs")  # the database refuses it, whoever asks


def test_phases_are_append_only_and_read_as_each_customers_latest(
    state: StateLocation,
) -> None:
    with StateStore(state) as store:
        store.record_spec("acme-corp", SPEC, "specs/acme-corp.yaml")
        with store.transaction() as conn:
            phases.record_phase(conn, "acme-corp", "onboarding", run_id="r1")
            phases.record_phase(conn, "acme-corp", "live", run_id="r2")
            phases.record_phase(conn, "acme-corp", "suspended", "unpaid invoice", "r3")
        for change in ("UPDATE phases SET phase = 'live'", "DELETE FROM phases"):
            with pytest.raises(StateError, match="append-only"), store.transaction() as conn:
                conn.execute(change)
    found = StateReader(state).snapshot().phases["acme-corp"]
    assert (found.phase, found.reason, found.run_id) == ("suspended", "unpaid invoice", "r3")
    with StateStore(state) as store:
        store.forget_customer("acme-corp", "r4")
        with store.transaction() as conn:
            changes = [(p.phase, p.run_id) for p in phases.history(conn, "acme-corp")]
    assert changes == [
        ("onboarding", "r1"),
        ("live", "r2"),
        ("suspended", "r3"),
        ("offboarded", "r4"),
    ]
    with pytest.raises(Exception, match="append-only"):
        execute(state, "DELETE FROM phases")  # the database refuses it, whoever asks


def _old_state(state: StateLocation, upto: int) -> None:
    """A state made by the migrations up to version ``upto`` only, with a customer."""
    if isinstance(state, PgUrl):
        from asp_provision.state.pg import PgConnection, connect, prepare

        conn: Any = PgConnection(connect(state, 5.0), 5.0)
        prepare(conn)
    else:
        state.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(state, isolation_level=None)
    for number in range(1, upto + 1):
        step = MIGRATIONS[number]
        if isinstance(step, str):
            for statement in step.split(";"):
                if statement.strip():
                    conn.execute(statement)
        else:
            step(cast(sqlite3.Connection, conn))
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute(
        "INSERT INTO customers (customer, spec_json, updated_at) VALUES ('acme-corp', '{}', 1)"
    )
    conn.close()


def test_an_older_state_is_read_as_is_and_migrated_by_the_next_write(
    state: StateLocation,
) -> None:
    _old_state(state, 5)
    snapshot = StateReader(state).snapshot()
    assert set(snapshot.customers) == {"acme-corp"}
    # the migration to version 6 gave it the subnet it had before allocations
    assert snapshot.addresses["acme-corp"].subnet.endswith("/24")
    assert version(state) == 5  # a read changes nothing
    with StateStore(state) as store:
        store.record_step("acme-corp", "network", "r1", succeeded=True, input_hash="h")
    assert version(state) == SCHEMA_VERSION
    assert rows(state, "SELECT customer FROM addresses") == [("acme-corp",)]


def test_a_newer_state_is_refused(state: StateLocation) -> None:
    with StateStore(state) as store:
        store.record_spec("acme-corp", SPEC, None)
    if isinstance(state, PgUrl):
        execute(state, f"UPDATE asp_schema SET version = {SCHEMA_VERSION + 1}")
    else:
        execute(state, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StateError, match="newer than this asp-provision understands"):
        StateReader(state).snapshot()
    with pytest.raises(StateError, match="newer than this asp-provision understands"):
        StateStore(state).open()


def test_a_write_waits_for_another_then_says_busy(state: StateLocation) -> None:
    with (
        StateStore(state, timeout=0.3) as holder,
        holder.transaction(),
        pytest.raises(StateError, match="busy"),
        StateStore(state, timeout=0.3) as other,
    ):
        other.record_spec("acme-corp", SPEC, None)
    with StateStore(state) as store:
        store.record_spec("acme-corp", SPEC, None)  # free again once the other ended


def test_controllers_opening_a_new_state_at_once_make_it_once(state: StateLocation) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def first_write(n: int) -> None:
        with StateStore(state, timeout=30) as store:
            store.record_spec(f"customer-{n}", SPEC, None)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(first_write, range(4)))
    assert version(state) == SCHEMA_VERSION
    assert len(StateReader(state).snapshot().customers) == 4
    assert StateReader(state).serial() == 4
