"""destroy exports the customer's users, converted records and ledger before it tears down."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import stat
import tarfile
from pathlib import Path

import pytest

from tests.conversion.helpers import records
from tests.e2e.conftest import SECRET, cli, make_workspace, query

from asp_conversion import convert  # isort: skip

pytestmark = pytest.mark.slow

DAY = "2026-12-01"
ON_DAY = {"ASP_NOW": f"{DAY}T10:00:00+00:00"}
CUSTOMERS = """id,name,email,balance
C1,Ann Lee,ann@old.example.com,1200.50
C2,Bo Ek,bo@old.example.com,-3.10
C3,Bad Mail,not-an-email,5
"""


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_destroy_exports_first_and_stops_when_it_cannot(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "specs" / "northwind-traders.yaml").unlink()
    applied = cli(ws, "apply", "--yes", env=ON_DAY)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    site = ws / ".asp/site/globex-bank"
    users_db = site / "application/users.db"
    # the customer's records, loaded by the data conversion's own loader (two good, one bad)
    source = tmp_path / "customers.csv"
    source.write_text(CUSTOMERS, encoding="utf-8")
    fields = {"id": "string", "name": "string", "email": "email", "balance": "decimal"}
    convert(str(source), "csv", "id", fields, str(users_db), str(site / "application/conversion"))
    loaded = records(users_db)
    assert sorted(loaded) == ["C1", "C2"]

    # an export that cannot be written stops destroy before anything is torn down
    exports = ws / ".asp/exports"
    exports.write_text("in the way\n")
    refused = cli(ws, "destroy", "globex-bank", "--yes", env=ON_DAY)
    assert refused.returncode == 1, refused.stderr
    assert "export" in refused.stderr and "Traceback" not in refused.stderr
    assert users_db.is_file() and (site / "network/nftables.nft").is_file()
    status = json.loads(cli(ws, "status", "-f", "json").stdout)
    assert "globex-bank" in [c["customer"] for c in status["customers"]]
    exports.unlink()

    result = cli(ws, "destroy", "globex-bank", "--yes", env=ON_DAY)
    assert result.returncode == 0, result.stderr
    archive = exports / f"globex-bank-{DAY}.tar.gz"
    assert "Exported 4 users, 2 converted records" in result.stderr
    assert f".asp/exports/{archive.name}" in result.stderr
    assert not users_db.exists()  # torn down after the export
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(exports.stat().st_mode) == 0o700
    assert [p.name for p in exports.iterdir()] == [archive.name]  # no temporary file left

    with tarfile.open(archive, "r:gz") as tar:
        members = {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }
    folder = f"globex-bank-{DAY}"
    manifest = members.pop(f"{folder}/MANIFEST.sha256").decode()
    listed = {}
    for line in manifest.splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == {name.removeprefix(f"{folder}/") for name in members}
    for name, data in members.items():
        assert hashlib.sha256(data).hexdigest() == listed[name.removeprefix(f"{folder}/")]
        assert SECRET.encode() not in data, name

    users = _csv(members[f"{folder}/users.csv"])
    assert [u["username"] for u in users] == sorted(["hsimpson", "kwong", "r.patel", "lmoreau"])
    assert {u["username"]: u["role"] for u in users}["kwong"] == "finance"
    converted = _csv(members[f"{folder}/converted_records.csv"])
    assert {r["key"]: json.loads(r["data"]) for r in converted} == loaded
    accounts = _csv(members[f"{folder}/site-ledger/accounts.csv"])
    assert [(a["account_id"], a["status"]) for a in accounts] == [("GLX-7001", "open")]
    events = _csv(members[f"{folder}/site-ledger/events.csv"])
    assert events and {e["account_id"] for e in events} == {"GLX-7001"}
    terms = _csv(members[f"{folder}/ledger/terms.csv"])
    assert len(terms) == 1 and json.loads(terms[0]["terms_json"])["seats"] == 250
    # the site's ledger is kept and closed, as before
    assert query(site / "billing/ledger.db", "SELECT status FROM accounts") == [("closed",)]

    # the customer's history outlives it: its runs, each step's result, the ledger
    told = cli(ws, "history", "globex-bank", "--format", "json")
    assert told.returncode == 0, told.stderr
    events = json.loads(told.stdout)["events"]
    instants = [dt.datetime.fromisoformat(e["at"]) for e in events]
    assert all(t.tzinfo is not None for t in instants) and instants == sorted(instants)
    runs = [(e["details"]["command"], e["event"]) for e in events if e["source"] == "runs"]
    assert runs == [
        ("apply", "run-started"),
        ("apply", "run-finished"),
        ("destroy", "run-started"),  # the refused destroy never began a run
        ("destroy", "run-finished"),
    ]
    done = {(e["event"], e["step"]) for e in events if e["source"] == "steps"}
    assert {("step-applied", "users"), ("step-torn-down", "users")} <= done
    kinds = [e["event"] for e in events]
    assert kinds.index("account-opened") < kinds.index("account-closed")
    assert "terms-recorded" in kinds and "billing-ended" in kinds
    text = cli(ws, "history", "globex-bank")
    assert "destroy succeeded" in text.stdout and "account GLX-7001 closed" in text.stdout
    assert SECRET not in told.stdout + text.stdout

    # --no-export skips it, and says so
    skipped = cli(ws, "destroy", "acme-corp", "--yes", "--no-export", env=ON_DAY)
    assert skipped.returncode == 0, skipped.stderr
    assert "--no-export" in skipped.stderr
    assert [p.name for p in exports.iterdir()] == [archive.name]
