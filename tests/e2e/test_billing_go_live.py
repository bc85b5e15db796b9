"""Billing starts at go-live, end to end: an apply that takes a customer live records the
go-live day in the site's ledger, and the month's invoice is billed from that day."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import cli, make_workspace, query

pytestmark = pytest.mark.slow


def test_the_invoice_after_going_live_bills_from_the_go_live_day(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")  # no gates: apply goes all the way to live
    for other in ("globex-bank", "northwind-traders"):
        (ws / "specs" / f"{other}.yaml").unlink()
    spec = ws / "specs" / "acme-corp.yaml"
    text = spec.read_text()
    text = text.replace("start_date: 2026-12-01", "start_date: 2026-11-01")
    spec.write_text(text.replace("go_live: 2026-12-15", "go_live: 2026-11-10"))
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr

    ledger = ws / ".asp" / "site" / "acme-corp" / "billing" / "ledger.db"
    events = query(ledger, "SELECT event, at FROM events ORDER BY id")
    assert events[-1] == ("billing-started", "2026-11-10")
    state = ws / ".asp" / "state.db"
    assert query(state, "SELECT customer, effective FROM billing_changes") == [
        ("acme-corp", "2026-11-10")
    ]
    assert query(state, "SELECT customer, day, moved FROM billing_starts") == [
        ("acme-corp", "2026-11-10", 0)
    ]

    result = cli(ws, "invoice", "acme-corp", "--period", "2026-11", "--format", "json")
    assert result.returncode == 0, result.stderr
    (doc,) = json.loads(result.stdout)["invoices"]
    # gold, 50 seats, 100 Mbps: 2800.00 a month, 21 of November's 30 days = 1960.00
    assert doc["subtotal"] == "1960.00"
    assert {x["code"]: x["amount"] for x in doc["lines"]}["proration"] == "-840.00"
    october = cli(ws, "invoice", "acme-corp", "--period", "2026-10", "--format", "json")
    assert "nothing billed in 2026-10" in october.stderr
