"""Billing end to end: apply the sample workspace, import usage, invoice a month."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from asp_provision.billing.terms import months_remaining, renewal_date
from tests.e2e.conftest import cli, make_workspace, query

pytestmark = pytest.mark.slow

USAGE = """customer,metric,timestamp,value
acme-corp,active_seats,2026-11-03T09:00:00Z,48
acme-corp,active_seats,2026-11-03T14:00:00+01:00,55
acme-corp,storage_gb,2026-11-03T09:00:00Z,1040.5
""" + "".join(  # 24 five-minute samples: one burst of 160 Mbps, the rest 90
    f"acme-corp,bandwidth_mbps,2026-11-03T{h:02d}:{m:02d}:00Z,{160 if h == m == 0 else 90}\n"
    for h in range(0, 2)
    for m in range(0, 60, 5)
)


def lines(doc: dict[str, object]) -> dict[str, str]:
    return {x["code"]: x["amount"] for x in doc["lines"]}  # type: ignore[attr-defined, index]


def test_apply_import_usage_and_invoice_a_month(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    for name in ("acme-corp", "globex-bank"):  # live and billed from November, to invoice it
        spec = ws / "specs" / f"{name}.yaml"
        text = spec.read_text().replace("2026-12-01", "2026-11-01")
        spec.write_text(re.sub(r"go_live: \S+", "go_live: 2026-11-01", text))
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    state = ws / ".asp" / "state.db"
    terms = query(state, "SELECT customer, effective FROM billing_changes ORDER BY customer")
    assert terms == [
        ("acme-corp", "2026-11-01"),
        ("globex-bank", "2026-11-01"),
        ("northwind-traders", "2027-01-15"),  # its go-live day
    ]

    usage = tmp_path / "usage.csv"
    usage.write_text(USAGE, "utf-8")
    result = cli(ws, "usage", "import", str(usage))
    assert result.returncode == 0, result.stderr
    assert "27 samples, 27 new or changed" in result.stderr
    again = cli(ws, "usage", "import", str(usage))
    assert "27 samples, 0 new or changed" in again.stderr

    result = cli(ws, "invoice", "--all", "--period", "2026-11", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["format_version"] == 1
    by_customer = {d["customer"]: d for d in data["invoices"]}
    assert sorted(by_customer) == ["acme-corp", "globex-bank"]  # northwind starts in January
    acme = by_customer["acme-corp"]
    # gold: 1500 + 50 x 20 + 100 x 3; 5 seats over at 25.00; p95 of 24 samples (rank 23) is
    # 90 Mbps, within what was sold; 40.5 GB over at 0.10; no US tax
    assert lines(acme) == {
        "tier-base": "1500.00",
        "seats": "1000.00",
        "bandwidth": "300.00",
        "overage-seats": "125.00",
        "overage-storage": "4.05",
        "tax": "0.00",
    }
    assert (acme["subtotal"], acme["tax"], acme["total"]) == ("2929.05", "0.00", "2929.05")
    assert (acme["account"], acme["currency"], acme["period"]) == ("ACME-0001", "USD", "2026-11")
    globex = by_customer["globex-bank"]
    # platinum, annual, GBP: 10 x (3160 + 6912.50 - 691.25 + 1580); 20 % UK VAT
    assert globex["subtotal"] == "109612.50"
    assert (globex["tax"], globex["total"]) == ("21922.50", "131535.00")
    numbers = sorted(d["number"] for d in data["invoices"])
    assert [n[-6:] for n in numbers] == ["000001", "000002"]

    # invoicing the month again gives the same invoices
    same = cli(ws, "invoice", "--all", "--period", "2026-11", "--format", "json")
    assert json.loads(same.stdout) == data

    # the HTML invoice is one document with the provider and the customer's contact
    html = cli(ws, "invoice", "acme-corp", "--period", "2026-11", "--format", "html")
    assert html.returncode == 0, html.stderr
    assert "Nordic Hosted Services AB" in html.stdout and "PO-4471" in html.stdout
    assert "@page { size: A4" in html.stdout

    # a bad usage file changes nothing and says where
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer,metric,timestamp,value\nacme-corp,active_seats,2026-11-03T10:00:00Z,60\nnobody,storage_gb,2026-11-03T10:00:00Z,1\n"
    )
    result = cli(ws, "usage", "import", str(bad))
    assert result.returncode == 1
    assert f"{bad}:3:1: customer: unknown customer 'nobody'" in result.stderr
    assert "Traceback" not in result.stderr
    assert query(state, "SELECT count(*) FROM usage_samples") == [(27,)]

    # status shows the renewal, and for one customer the month's usage against what was sold
    today = dt.datetime.now(dt.UTC).date()
    start = dt.date(2026, 11, 1)
    end, months = renewal_date(start, 12, today), months_remaining(start, 12, today)
    status = cli(ws, "status", "acme-corp", "--format", "json")
    (found,) = json.loads(status.stdout)["customers"]
    assert found["renewal"] == end.isoformat()
    assert found["usage"]["seats"]["sold"] == 50
    assert f"contract renews {end}" in cli(ws, "status", "acme-corp").stdout

    # 60 seats from November 16: the month is prorated, 15 days at 2800 and 15 at 3000
    spec = ws / "specs" / "acme-corp.yaml"
    spec.write_text(spec.read_text().replace("seats: 50", "seats: 60"))
    result = cli(ws, "apply", "--yes", "--effective", "2026-11-16")
    assert result.returncode == 0, result.stdout + result.stderr
    result = cli(ws, "invoice", "acme-corp", "--period", "2026-11", "--reissue", "-f", "json")
    reissued = json.loads(result.stdout)
    (note,) = reissued["credit_notes"]
    (new,) = reissued["invoices"]
    assert (note["invoice"], note["total"]) == (acme["number"], "-2929.05")
    assert new["number"] not in numbers
    assert lines(new)["proration"] == "-100.00"
    assert "overage-seats" not in lines(new)  # a peak of 55 is within 60
    assert new["total"] == "2904.05"

    # destroying before the end of the term lists and records the committed months
    result = cli(ws, "destroy", "acme-corp", "--yes")
    assert result.returncode == 0, result.stderr
    assert f"acme-corp is committed until {end}: {months} months remain at 3000.00 USD" in (
        result.stderr
    )
    assert query(state, "SELECT customer, months, amount FROM commitments") == [
        ("acme-corp", months, str(Decimal("3000.00") * months))
    ]
    # the invoices and the credit note are kept
    assert query(state, "SELECT count(*) FROM invoices WHERE customer = 'acme-corp'") == [(2,)]
    assert query(state, "SELECT count(*) FROM credit_notes") == [(1,)]
    kept = cli(ws, "invoice", "acme-corp", "--period", "2026-11", "--format", "json")
    assert json.loads(kept.stdout)["invoices"] == [new]

    # a customer applied before billing.country existed can still be torn down
    conn = sqlite3.connect(state)
    with conn:
        conn.execute(
            "UPDATE customers SET spec_json = json_remove(spec_json, '$.spec.billing.country') "
            "WHERE customer = 'globex-bank'"
        )
    conn.close()
    result = cli(ws, "destroy", "globex-bank", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert query(state, "SELECT customer FROM customers") == [("northwind-traders",)]
