"""Onboarding with the real CLI and Ansible: from a signed deal to a live service.

apply provisions the customer, converts its records (some of them bad), runs the
acceptance checks and writes the training invitations, then stops before go_live, which
waits for the customer's user acceptance sign-off; once it is given, apply opens the
firewall, publishes the domain and starts billing; a second apply changes nothing. Once
live, suspend closes the firewall to the customer's users and resume reopens it, plan and
apply leave a suspended customer closed, and destroy exports then offboards it.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from asp_provision.spec.catalog import load_catalog
from tests.e2e.conftest import cli, make_workspace, plan_json, query

pytestmark = pytest.mark.slow

RECORDS = """\
customer_id,name,email,balance,since
C-1,Ada Lovelace,ada@example.com,100.50,2020-01-31
C-2,Alan Turing,alan@example.com,12,2021-06-01
C-3,Grace Hopper,not-an-email,5.00,2019-12-09
C-4,Edsger Dijkstra,edsger@example.com,ten,2018-03-03
C-1,Ada Again,ada2@example.com,1.00,2020-02-01
C-5,Barbara Liskov,barbara@example.com,7.25,2022-02-30
C-6,Donald Knuth,don@example.com,64.00,2017-07-07
"""


def _onboarding_workspace(folder: Path) -> Path:
    """acme-corp (gold) alone, loading a CSV of records and listing two training sessions.

    The catalog's gates are narrowed to user acceptance, the gate this test signs.
    """
    ws = make_workspace(folder, gates=True)
    for other in ("globex-bank", "northwind-traders"):
        (ws / "specs" / f"{other}.yaml").unlink()
    (ws / "data").mkdir()
    (ws / "data" / "customers.csv").write_text(RECORDS, encoding="utf-8")
    spec_path = ws / "specs" / "acme-corp.yaml"
    spec: dict[str, Any] = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["spec"]["onboarding"] = {
        "go_live": "2026-12-15",
        "data_conversion": {
            "format": "csv",
            "file": "data/customers.csv",
            "key": "customer_id",
            "fields": {
                "customer_id": "string",
                "name": "string",
                "email": "email",
                "balance": "decimal",
                "since": "date",
            },
        },
        "training": {
            "sessions": [
                {
                    "date": "2026-12-08",
                    "topic": "Mail for staff",
                    "attendees": ["bsmith@acme.example"],
                },
                {
                    "date": "2026-12-10",
                    "topic": "Administration",
                    "attendees": ["jdoe@acme.example"],
                },
            ]
        },
    }
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    catalog = ws / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    keep = "gates:\n  uat: {signs: acceptance, before: go_live}\n"
    catalog.write_text(text[: text.index("gates:\n")] + keep, encoding="utf-8")
    return ws


@pytest.fixture(scope="module")
def onboarded(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The workspace after its first apply: provisioned, converted, accepted, trained."""
    ws = _onboarding_workspace(tmp_path_factory.mktemp("onboarding") / "ws")
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    return ws, result


def _site(ws: Path) -> Path:
    return ws / ".asp" / "site" / "acme-corp"


def _go_live(plan: dict[str, Any]) -> dict[str, Any]:
    steps = plan["customers"][0]["steps"]
    return next(s for s in steps if s["step"] == "go_live")


def test_apply_stops_before_go_live_and_says_which_sign_off_is_missing(
    onboarded: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    ws, result = onboarded
    assert "|| go_live" in result.stderr and "waiting for sign-off: uat" in result.stderr
    assert "acme-corp: go_live waits for the sign-off uat" in result.stderr
    plan = plan_json(ws)
    go_live = _go_live(plan)
    assert go_live["action"] == "create"
    assert go_live["gate"] == {"name": "uat", "signed": False, "also": []}
    assert plan["summary"]["waiting"] == 1
    assert plan["summary"]["create"] == plan["summary"]["update"] == 0
    # the firewall admits only the ASP's staging networks; no public DNS record yet
    site = _site(ws)
    nft = (site / "network" / "nftables.nft").read_text()
    elements = re.findall(r"elements = \{ ([^}]*) \}", nft)
    assert elements == [", ".join(load_catalog(ws / "catalog.yaml").staging_networks)]
    assert "203.0.113.0/24" not in nft
    assert not (site / "network" / "dns" / "public").exists()


def test_records_are_converted_and_bad_rows_rejected_with_their_line(
    onboarded: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    ws, _ = onboarded
    site = _site(ws)
    loaded = query(
        site / "application" / "users.db", "SELECT key FROM converted_records ORDER BY key"
    )
    assert loaded == [("C-1",), ("C-2",), ("C-6",)]
    with (site / "application" / "conversion" / "rejects.csv").open(encoding="utf-8") as handle:
        rejects = {row["line"]: row for row in csv.DictReader(handle)}
    assert sorted(rejects, key=int) == ["4", "5", "6", "7"]
    assert rejects["4"]["key"] == "C-3" and "email" in rejects["4"]["reason"]
    assert "duplicate" in rejects["6"]["reason"] or "2" in rejects["6"]["reason"]
    counts = json.loads((site / "application/conversion/reconciliation.json").read_text())
    assert (counts["read"], counts["loaded"], counts["rejected"]) == (7, 3, 4)


def test_acceptance_reports_every_check_in_json_and_junit(
    onboarded: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    ws, _ = onboarded
    report = json.loads((_site(ws) / "acceptance" / "report.json").read_text())
    assert report["passed"] is True and report["failed"] == []
    names = [c["name"] for c in report["checks"]]
    assert names == [
        "service-answers",
        "configs",
        "users",
        "conversion",
        "backups",
        "report-schedule",
        "alerts",
    ]
    conversion = next(c for c in report["checks"] if c["name"] == "conversion")
    assert conversion["ok"] is True and "3 records loaded, 4 rejected" in conversion["message"]
    junit = (_site(ws) / "acceptance" / "junit.xml").read_text()
    assert '<testsuite name="acceptance acme-corp" tests="7" failures="0"' in junit


def test_training_writes_one_invitation_per_session(
    onboarded: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    ws, _ = onboarded
    training = _site(ws) / "training"
    assert sorted(p.name for p in training.glob("*.ics")) == ["session-1.ics", "session-2.ics"]
    # RFC 5545 lines end in CRLF, and a long one folds onto the next after a space
    first = (training / "session-1.ics").read_bytes().decode().replace("\r\n ", "")
    assert "BEGIN:VCALENDAR" in first and "DTSTART;VALUE=DATE:20261208" in first
    assert 'ORGANIZER;CN="Maria Lind":mailto:maria.lind@nordic-hosted.example' in first
    assert "ATTENDEE" in first and "bsmith@acme.example" in first


def test_sign_off_then_go_live_opens_the_service(tmp_path: Path) -> None:
    ws = _onboarding_workspace(tmp_path / "ws")
    assert cli(ws, "apply", "--yes").returncode == 0
    # unknown gate, unknown customer: usage errors that change nothing
    unknown = cli(ws, "signoff", "acme-corp", "go-live", "--by", "Jane Doe")
    assert unknown.returncode == 2 and "no gate 'go-live'" in unknown.stderr
    nobody = cli(ws, "signoff", "nobody-corp", "uat", "--by", "Jane Doe")
    assert nobody.returncode == 2 and "customer nobody-corp is not in the state" in nobody.stderr
    assert "Traceback" not in unknown.stderr + nobody.stderr

    signed = cli(ws, "signoff", "acme-corp", "uat", "--by", "Jane Doe", "--note", "UAT passed")
    assert signed.returncode == 0, signed.stderr
    assert "uat signed off by Jane Doe" in signed.stderr
    go_live = _go_live(plan_json(ws))
    assert go_live["gate"] == {"name": "uat", "signed": True, "also": []}
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    site = _site(ws)
    nft = (site / "network" / "nftables.nft").read_text()
    assert "203.0.113.0/24" in nft and "198.51.100.7/32" in nft
    zone = (site / "network" / "dns" / "public" / "mail.acme.example.zone").read_text()
    assert re.search(r"(?m)^@\s+IN\s+A\s+\S+$", zone)
    events = query(site / "billing" / "ledger.db", "SELECT event, at FROM events ORDER BY id")
    assert events[-1] == ("billing-started", "2026-12-15")
    # the customer's timeline holds the sign-off, between the run that waited and go-live
    timeline = json.loads(cli(ws, "history", "acme-corp", "--format", "json").stdout)["events"]
    kinds = [(e["event"], e["step"]) for e in timeline]
    signoff = kinds.index(("signoff", "acceptance"))
    assert signoff < kinds.index(("step-applied", "go_live"))
    assert timeline[signoff]["summary"] == "uat signed off by Jane Doe: UAT passed"

    again = cli(ws, "apply", "--yes")
    assert again.returncode == 0 and "No changes." in again.stderr
    assert "Run " not in again.stderr
    # the network step runs again after the go-live: the firewall stays open
    spec = ws / "specs" / "acme-corp.yaml"
    spec.write_text(spec.read_text().replace("bandwidth_mbps: 100", "bandwidth_mbps: 150"))
    assert cli(ws, "apply", "--yes").returncode == 0
    assert "203.0.113.0/24" in (site / "network" / "nftables.nft").read_text()
    assert query(
        site / "billing" / "ledger.db", "SELECT count(*) FROM events WHERE event LIKE 'billing-%'"
    ) == [(1,)]


def test_a_changed_source_is_an_update_and_lapses_nothing_else(tmp_path: Path) -> None:
    ws = _onboarding_workspace(tmp_path / "ws")
    assert cli(ws, "apply", "--yes").returncode == 0
    assert cli(ws, "signoff", "acme-corp", "uat", "--by", "Jane Doe").returncode == 0
    source = ws / "data" / "customers.csv"
    source.write_text(RECORDS + "C-7,Frances Allen,fran@example.com,3.00,2016-05-05\n")
    plan = plan_json(ws)
    steps = {s["step"]: s for s in plan["customers"][0]["steps"]}
    assert steps["data_conversion"]["action"] == "update"
    assert [c["path"] for c in steps["data_conversion"]["changes"]] == [
        "onboarding.data_conversion.sha256"
    ]
    # acceptance checks the reconciliation of this very file: user acceptance lapses
    assert steps["acceptance"]["action"] == "update"
    assert steps["go_live"]["gate"] == {"name": "uat", "signed": False, "also": []}
    revoked = cli(ws, "signoff", "acme-corp", "uat", "--by", "Jane Doe", "--revoke")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked by Jane Doe" in revoked.stderr


def _elements(site: Path) -> list[str]:
    """The networks the customer's firewall admits (IPv4), as written on the site."""
    nft = (site / "network" / "nftables.nft").read_text()
    (found,) = re.findall(r"set allow_from_v4 \{[^}]*?(?:elements = \{ ([^}]*) \})?\s*\}", nft)
    return found.split(", ") if found else []


def test_a_live_customer_is_suspended_resumed_then_offboarded_with_its_export(
    tmp_path: Path,
) -> None:
    ws = _onboarding_workspace(tmp_path / "ws")
    staging = load_catalog(ws / "catalog.yaml").staging_networks
    allowlist = ["203.0.113.0/24", "198.51.100.7/32"]
    site, ledger = _site(ws), _site(ws) / "billing" / "ledger.db"
    assert cli(ws, "apply", "--yes").returncode == 0
    assert json.loads(cli(ws, "status", "--format", "json").stdout)["customers"][0]["phase"] == (
        "onboarding"
    )
    early = cli(ws, "suspend", "acme-corp", "--reason", "unpaid invoice")
    assert early.returncode == 1 and "acme-corp is onboarding, not live" in early.stderr
    assert cli(ws, "signoff", "acme-corp", "uat", "--by", "Jane Doe").returncode == 0
    assert cli(ws, "apply", "--yes").returncode == 0
    assert _elements(site) == [*staging, *allowlist]
    records = query(site / "application" / "users.db", "SELECT key FROM converted_records")

    suspended = cli(ws, "suspend", "acme-corp", "--reason", "unpaid invoice 2026-11")
    assert suspended.returncode == 0, suspended.stdout + suspended.stderr
    assert "acme-corp is suspended" in suspended.stderr
    # closed to its users, open to the ASP's staging networks; its data and its domain stay
    assert _elements(site) == staging
    assert (site / "network" / "dns" / "public" / "mail.acme.example.zone").is_file()
    assert query(site / "application" / "users.db", "SELECT key FROM converted_records") == (
        records
    )
    events = query(ledger, "SELECT event FROM events WHERE event LIKE 'billing-%' ORDER BY id")
    assert events == [("billing-started",), ("billing-paused",)]
    again = cli(ws, "suspend", "acme-corp", "--reason", "twice")
    assert again.returncode == 1 and "acme-corp is suspended, not live" in again.stderr

    # neither plan nor apply reopens it: the allowlist's change runs the network and go_live
    plan = cli(ws, "plan")
    assert "note: suspended since" in plan.stdout + plan.stderr
    assert "(unpaid invoice 2026-11)" in plan.stdout + plan.stderr
    spec = ws / "specs" / "acme-corp.yaml"
    spec.write_text(spec.read_text().replace("198.51.100.7/32", "198.51.100.8/32"))
    changed = cli(ws, "apply", "--yes")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert _elements(site) == staging
    status = json.loads(cli(ws, "status", "--format", "json").stdout)["customers"][0]
    assert status["phase"] == "suspended" and status["next_gate"] is None
    assert status["go_live"] == "2026-12-15" and status["go_live_actual"] is not None

    resumed = cli(ws, "resume", "acme-corp")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert _elements(site) == [*staging, "203.0.113.0/24", "198.51.100.8/32"]
    events = query(ledger, "SELECT event FROM events WHERE event LIKE 'billing-%' ORDER BY id")
    assert events == [("billing-started",), ("billing-paused",), ("billing-resumed",)]
    assert cli(ws, "resume", "acme-corp").returncode == 1

    destroyed = cli(ws, "destroy", "acme-corp", "--yes")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    (archive,) = (ws / ".asp" / "exports").glob("acme-corp-*.tar.gz")
    assert "Exported" in destroyed.stderr and archive.name in destroyed.stderr
    assert not (site / "application" / "users.db").exists()
    timeline = json.loads(cli(ws, "history", "acme-corp", "--format", "json").stdout)["events"]
    changes = [(e["details"]["phase"], e["run_id"]) for e in timeline if e["source"] == "phases"]
    assert [phase for phase, _ in changes] == [
        "onboarding",
        "live",
        "suspended",
        "live",
        "offboarded",
    ]
    commands = {
        e["run_id"]: e["details"]["command"] for e in timeline if e["event"] == "run-started"
    }
    assert [commands[run] for _, run in changes] == [
        "apply",
        "apply",
        "suspend",
        "resume",
        "destroy",
    ]
    gone = cli(ws, "suspend", "acme-corp", "--reason", "late")
    assert gone.returncode == 2 and "it was offboarded" in gone.stderr
