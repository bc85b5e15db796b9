"""The invoice and usage commands, run as a user runs them (no Ansible needed)."""

from __future__ import annotations

import json
from pathlib import Path

from asp_provision.state.store import StateStore
from tests.billing.helpers import billed
from tests.cli.helpers import run_cli


def workspace(tmp_path: Path) -> Path:
    with StateStore(tmp_path / ".asp" / "state.db") as store, store.transaction() as conn:
        for terms in (billed(), billed(customer="globex-bank", account="GLX", country="SE")):
            conn.execute(
                "INSERT INTO billing_changes (customer, effective, terms_json, run_id, "
                "recorded_at) VALUES (?, '2026-01-01', ?, 'test', 0)",
                (terms.customer, terms.to_json()),
            )
    return tmp_path


def test_invoice_all_as_json_then_files(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    result = run_cli("-C", str(ws), "invoice", "--all", "--period", "2026-03", "-f", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [d["customer"] for d in data["invoices"]] == ["acme-corp", "globex-bank"]
    assert [d["total"] for d in data["invoices"]] == ["2800.00", "3500.00"]  # SE: 25 % VAT
    out = tmp_path / "out"
    result = run_cli("-C", str(ws), "invoice", "--all", "--period", "2026-03", "-f", "html",
                     "-o", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    numbers = [d["number"] for d in data["invoices"]]
    assert sorted(p.name for p in out.iterdir()) == [f"{n}.html" for n in numbers]
    text = run_cli("-C", str(ws), "invoice", "acme-corp", "--period", "2026-03")
    assert f"Invoice {numbers[0]}  acme-corp  period 2026-03" in text.stdout
    assert "total" in text.stdout and "2,800.00 USD" in text.stdout


def test_usage_errors_exit_without_output(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    both = run_cli("-C", str(ws), "invoice", "acme-corp", "--all", "--period", "2026-03")
    assert both.returncode == 2
    assert "name the customers to invoice, or pass --all" in both.stderr
    unknown = run_cli("-C", str(ws), "invoice", "nobody", "--period", "2026-03", "-f", "json")
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert "no billing of nobody in the state" in unknown.stderr
    future = run_cli("-C", str(ws), "invoice", "--all", "--period", "2999-01")
    assert future.returncode == 2 and "is in the future" in future.stderr
    csv = tmp_path / "usage.csv"
    csv.write_text("customer,metric,timestamp,value\nacme-corp,cpu,2026-03-01T00:00:00Z,1\n")
    bad = run_cli("-C", str(ws), "usage", "import", str(csv))
    assert bad.returncode == 1
    assert f"{csv}:2:11: metric: unknown metric 'cpu'" in bad.stderr
    assert "Traceback" not in bad.stderr
