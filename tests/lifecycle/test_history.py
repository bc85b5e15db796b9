"""A customer's history from a real state database: one timeline of every source."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from asp_provision.errors import UsageError
from asp_provision.lifecycle import history
from asp_provision.lifecycle.history import Event, Records, customer_history, timeline
from asp_provision.state import ledger
from asp_provision.state.schema import MIGRATIONS
from asp_provision.state.store import StateReader, StateStore
from tests.cli.helpers import run_cli
from tests.spec.helpers import acme_workspace


def _applied(db: Path) -> None:
    """acme-corp applied in one run (users failed), then globex-bank alone, then billed."""
    with StateStore(db) as store:
        store.begin_run("r1", "apply", ["acme-corp", "globex-bank"], "/logs/r1", None)
        store.record_step("acme-corp", "network", "r1", succeeded=True, input_hash="h", inputs={})
        store.record_step("acme-corp", "users", "r1", succeeded=False, message="db: locked")
        store.record_step("globex-bank", "network", "r1", succeeded=True, input_hash="h")
        store.finish_run("r1", "failed")
        with store.transaction() as conn:
            ledger.record_change(conn, "acme-corp", "2026-12-01", json.dumps({"seats": 50}), "r1")
        store.begin_run("r2", "destroy", ["acme-corp"], "/logs/r2", None)
        store.forget_step("acme-corp", "network", "r2")
        store.finish_run("r2", "succeeded")


def _history(db: Path, customer: str, has_spec: bool = False) -> history.History:
    return StateReader(db).query(
        lambda conn: customer_history(Records(customer, conn, None), has_spec),
        customer_history(Records(customer, None, None), True),
    )


def test_runs_steps_and_ledger_make_one_timeline_oldest_first(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    _applied(db)
    found = _history(db, "acme-corp")
    kinds = [(e.kind, e.step) for e in found.events]
    assert kinds == [
        ("run-started", None),
        ("step-applied", "network"),
        ("step-failed", "users"),
        ("run-finished", None),
        ("terms-recorded", None),
        ("run-started", None),
        ("step-torn-down", "network"),
        ("run-finished", None),
    ]
    assert all(e.at.tzinfo is not None for e in found.events)
    assert [e.at for e in found.events] == sorted(e.at for e in found.events)
    failed = found.events[2]
    assert (failed.run_id, failed.details) == ("r1", {"message": "db: locked"})
    assert found.events[3].summary.startswith("apply failed")
    # the other customer of the shared run sees the run and its own step only
    globex = _history(db, "globex-bank")
    assert [(e.kind, e.step) for e in globex.events] == [
        ("run-started", None),
        ("step-applied", "network"),
        ("run-finished", None),
    ]
    assert globex.events[0].details["other_customers"] == 1


def test_json_is_format_version_1_with_iso_instants(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    _applied(db)
    data = _history(db, "acme-corp").as_json()
    assert data["format_version"] == 1 and data["customer"] == "acme-corp"
    for event in data["events"]:
        assert dt.datetime.fromisoformat(event["at"]).utcoffset() == dt.timedelta(0)
        assert set(event) == {"at", "source", "event", "run_id", "step", "summary", "details"}


def test_an_unknown_customer_is_refused_and_one_with_a_spec_is_empty(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    _applied(db)
    with pytest.raises(UsageError, match="no customer nobody-here"):
        _history(db, "nobody-here")
    assert _history(db, "nobody-here", has_spec=True).events == []
    with pytest.raises(UsageError, match="not a customer"):
        _history(db, "../acme-corp", has_spec=True)
    # no state at all
    with pytest.raises(UsageError, match="no customer acme-corp"):
        customer_history(Records("acme-corp", None, None), False)


@pytest.fixture
def signoffs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A further source of events in place of the sign-offs', for one test; the real
    sources are as they were afterwards."""
    monkeypatch.setattr(history, "SOURCES", dict(history.SOURCES))

    @history.source("signoffs")
    def read(records: Records) -> Iterator[Event]:
        at = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        yield Event(at, "signoffs", "signed", f"uat signed for {records.customer}")

    yield


def test_a_new_source_slots_into_the_timeline(tmp_path: Path, signoffs: None) -> None:
    db = tmp_path / "state.db"
    _applied(db)
    found = _history(db, "acme-corp")
    assert found.events[0].summary == "uat signed for acme-corp"
    assert len(found.events) == 9
    only_runs = StateReader(db).query(
        lambda conn: timeline(Records("acme-corp", conn, None), ["runs"]), None
    )
    assert only_runs is not None and {e.source for e in only_runs.events} == {"runs"}


def test_step_results_of_an_older_state_come_from_its_steps(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    conn = sqlite3.connect(db)
    for version in range(1, 8):
        script = MIGRATIONS[version]
        if callable(script):
            script(conn)
        else:
            conn.executescript(script)
    conn.execute("PRAGMA user_version = 7")
    conn.execute(
        "INSERT INTO steps (customer, step, status, input_hash, updated_at, run_id, message) "
        "VALUES ('acme-corp', 'users', 'failed', NULL, 1700000000.5, 'r0', 'boom')"
    )
    conn.commit()
    conn.close()
    found = _history(db, "acme-corp")  # read through a migrated copy
    assert [(e.kind, e.step, e.run_id) for e in found.events] == [("step-failed", "users", "r0")]
    assert found.events[0].at == dt.datetime.fromtimestamp(1700000000.5, dt.UTC)


def test_the_command_refuses_an_unknown_customer_and_shows_a_new_one(tmp_path: Path) -> None:
    ws = acme_workspace(tmp_path / "ws")
    unknown = run_cli("-C", str(ws), "history", "nobody-here")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: no customer nobody-here in the state or the specs")
    fresh = run_cli("-C", str(ws), "history", "acme-corp", "--format", "json")
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout) == {"format_version": 1, "customer": "acme-corp", "events": []}
    text = run_cli("-C", str(ws), "history", "acme-corp")
    assert text.stdout == "acme-corp: nothing recorded yet (it was never applied)\n"
    assert not (ws / ".asp" / "state.db").exists()  # reading a history writes nothing
