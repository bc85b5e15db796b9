"""suspend, resume and status on a state written by hand: refusals, and the phase fields.

Refused commands run no Ansible and record no run; tests/e2e/test_lifecycle.py takes a
customer through its phases for real.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from asp_provision.config import Workspace
from asp_provision.service import Service
from asp_provision.state import phases
from asp_provision.state.store import StateStore
from tests.cli.helpers import ROOT, run_cli
from tests.spec.helpers import acme_workspace


def _instant(day: str) -> float:
    return dt.datetime.fromisoformat(day + "T12:00:00+00:00").timestamp()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """acme-corp recorded as applied, onboarding since 2026-12-01."""
    folder = acme_workspace(tmp_path / "ws")
    (folder / "playbooks").symlink_to(ROOT / "playbooks")
    service = Service(Workspace(folder))
    (item,) = service.desired([]).desired
    spec = item.subscription.model_dump(mode="json", by_alias=True, exclude_none=True)
    with StateStore(service.workspace.state_path) as store:
        store.record_spec("acme-corp", spec, item.path)
        with store.transaction() as conn:
            phases.record_phase(
                conn, "acme-corp", "onboarding", "first apply", "r1", _instant("2026-12-01")
            )
    return folder


def _phase(ws: Path, phase: phases.PhaseName, day: str, reason: str | None = None) -> None:
    with StateStore(ws / ".asp" / "state.db") as store, store.transaction() as conn:
        phases.record_phase(conn, "acme-corp", phase, reason, "r2", _instant(day))


def _runs(ws: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(ws / ".asp" / "state.db")
    try:
        return conn.execute(
            "SELECT command FROM runs UNION ALL SELECT run_id FROM locks"
        ).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("suspend", "nobody-corp", "--reason", "unpaid"),
            "customer nobody-corp is not in the state",
        ),
        (("resume", "nobody-corp"), "customer nobody-corp is not in the state"),
        (("suspend", "acme-corp", "--reason", "  "), "--reason is empty"),
        (
            ("suspend", "acme-corp", "--reason", "unpaid\x1b[2J"),
            "--reason holds a control character",
        ),
        (("suspend", "acme-corp", "--reason", "a\nb"), "--reason holds a control character"),
        (("suspend", "acme-corp"), "Missing option '--reason'"),
    ],
)
def test_unknown_customers_and_bad_reasons_are_usage_errors(
    ws: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_cli(*args, cwd=ws)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert _runs(ws) == []


def test_only_a_live_customer_is_suspended_and_only_a_suspended_one_resumed(ws: Path) -> None:
    early = run_cli("suspend", "acme-corp", "--reason", "unpaid", cwd=ws)
    assert early.returncode == 1
    assert (
        "acme-corp is onboarding, not live: only a live customer can be suspended" in early.stderr
    )
    _phase(ws, "live", "2026-12-20", "go_live applied")
    live = run_cli("resume", "acme-corp", cwd=ws)
    assert live.returncode == 1
    assert "acme-corp is live, not suspended: only a suspended customer can be resumed" in (
        live.stderr
    )
    _phase(ws, "offboarded", "2026-12-22", "destroyed")
    gone = run_cli("suspend", "acme-corp", "--reason", "unpaid", cwd=ws)
    assert gone.returncode == 1 and "acme-corp is offboarded, not live" in gone.stderr
    for result in (early, live, gone):
        assert "Traceback" not in result.stderr
    # refused under the customer's lock, before the run began: no run, no lock left
    assert _runs(ws) == []


def _status(ws: Path) -> dict[str, object]:
    result = run_cli("status", "--format", "json", cwd=ws)
    assert result.returncode == 0, result.stderr
    (customer,) = json.loads(result.stdout)["customers"]
    return customer  # type: ignore[no-any-return]


def test_status_shows_the_phase_the_next_gate_and_the_go_live_against_its_target(
    ws: Path,
) -> None:
    found = _status(ws)
    assert found["phase"] == "onboarding"
    assert found["phase_since"] == "2026-12-01T12:00:00+00:00"
    # the catalog's first gate that go_live waits for
    assert found["next_gate"] == "uat"
    assert found["go_live"] == "2026-12-15" and found["go_live_actual"] is None
    _phase(ws, "live", "2026-12-20", "go_live applied")
    _phase(ws, "suspended", "2026-12-21", "unpaid")
    _phase(ws, "live", "2026-12-23", "resumed")
    found = _status(ws)
    assert (found["phase"], found["phase_since"]) == ("live", "2026-12-23T12:00:00+00:00")
    # went live on the first of those days, not on the resume
    assert (found["go_live_actual"], found["days_late"]) == ("2026-12-20", 5)
    text = run_cli("status", "acme-corp", cwd=ws)
    assert text.returncode == 0, text.stderr
    assert "phase: live since 2026-12-23 12:00" in text.stdout
    assert "go-live: target 2026-12-15, actual 2026-12-20 (5 days late)" in text.stdout
    assert "next gate: uat (`asp-provision signoff acme-corp uat --by NAME`)" in text.stdout


def test_a_customer_never_applied_is_new(tmp_path: Path) -> None:
    folder = acme_workspace(tmp_path / "ws")
    found = _status(folder)
    assert (found["phase"], found["phase_since"], found["go_live_actual"]) == ("new", None, None)


def test_history_shows_the_phase_changes(ws: Path) -> None:
    _phase(ws, "live", "2026-12-20", "go_live applied")
    _phase(ws, "suspended", "2026-12-21", "unpaid invoice")
    result = run_cli("history", "acme-corp", "--format", "json", cwd=ws)
    assert result.returncode == 0, result.stderr
    changes = [e for e in json.loads(result.stdout)["events"] if e["source"] == "phases"]
    assert [(e["event"], e["details"]["phase"], e["summary"]) for e in changes] == [
        ("phase-changed", "onboarding", "phase onboarding: first apply"),
        ("phase-changed", "live", "phase live: go_live applied"),
        ("phase-changed", "suspended", "phase suspended: unpaid invoice"),
    ]
    assert changes[2]["details"]["reason"] == "unpaid invoice"
