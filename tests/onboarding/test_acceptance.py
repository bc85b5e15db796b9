"""The acceptance checks on a site's files: each passes on a sound site and fails by name.

A site is made by hand here, in the formats the roles write; the real checkers judge it
where they are installed (a check whose checker is missing is skipped, never passed).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conversion.helpers import LIBRARY  # noqa: F401 - puts module_utils on the path

from asp_acceptance import CHECKS, Expected, accept, run_checks  # isort: skip

ZONE = """$ORIGIN mail.acme.example.
$TTL 3600
@\tIN\tSOA\tns1.asp-provision.example. hostmaster.mail.acme.example. ( 1 3600 900 1209600 300 )
@\tIN\tNS\tns1.asp-provision.example.
@\tIN\tNS\tns2.asp-provision.example.
@\tIN\tA\t10.0.0.10
"""
NFT = """table inet asp_acme_corp
delete table inet asp_acme_corp
table inet asp_acme_corp {
\tset allow_from_v4 {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = { 10.255.0.0/16 }
\t}
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\tip daddr 10.0.0.10 tcp dport { 80, 443 } ip saddr @allow_from_v4 accept
\t\tip daddr 10.0.0.10 counter drop
\t}
}
"""
NGINX = """upstream asp_acme_corp_app { server 10.0.0.11:8080; }
server {
    listen 80;
    server_name mail.acme.example;
    allow 203.0.113.0/24;
    deny all;
    location / { proxy_pass http://asp_acme_corp_app; }
}
"""
ALERTS = """groups:
  - name: asp-acme-corp-sla
    rules:
      - alert: AspAvailabilityBelowSla
        expr: avg(avg_over_time(up{customer="acme-corp"}[30d])) * 100 < 99.9
        annotations:
          threshold: "99.9"
      - alert: AspResponseTimeAboveSla
        expr: max(asp_ticket_oldest_unanswered_seconds{customer="acme-corp"}) > 1800
        annotations:
          threshold: "1800"
      - alert: AspResolutionTimeAboveSla
        expr: max(asp_ticket_oldest_unresolved_seconds{customer="acme-corp"}) > 14400
        annotations:
          threshold: "14400"
"""

EXPECTED = Expected(
    customer="acme-corp",
    domain="mail.acme.example",
    users=[{"username": "jdoe", "role": "admin"}, {"username": "bsmith", "role": "staff"}],
    conversion={"sha256": "ab" * 32},
    backup_cron="37 2 * * *",
    report_cron="41 6 * * 1",
    alerts={"availability_pct": 99.9, "response_seconds": 1800, "resolution_seconds": 14400},
)


def run(argv: list[str]) -> tuple[int, str, str]:
    done = subprocess.run(argv, capture_output=True, text=True, env={"LC_ALL": "C"}, check=False)
    return done.returncode, done.stdout, done.stderr


def _site(root: Path) -> Path:
    files = {
        "network/nftables.nft": NFT,
        "network/dns/mail.acme.example.zone": ZONE,
        "application/nginx.conf": NGINX,
        "monitoring/prometheus/alerts.yml": ALERTS,
        "platform/backup.cron": "# backups\n37 2 * * * root asp-backup --customer acme-corp\n",
        "reporting/report.cron": "# reports\n41 6 * * 1 root asp-report --customer acme-corp\n",
        "application/conversion/reconciliation.json": json.dumps(
            {
                "read": 5,
                "loaded": 3,
                "updated": 0,
                "unchanged": 0,
                "rejected": 2,
                "sha256": "ab" * 32,
            }
        ),
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    conn = sqlite3.connect(root / "application" / "users.db")
    with conn:
        conn.execute("CREATE TABLE users (username TEXT PRIMARY KEY, role TEXT)")
        conn.executemany(
            "INSERT INTO users VALUES (?, ?)", [("jdoe", "admin"), ("bsmith", "staff")]
        )
        conn.execute("CREATE TABLE converted_records (key TEXT PRIMARY KEY, data TEXT)")
        conn.executemany("INSERT INTO converted_records VALUES (?, '{}')", [("a",), ("b",), ("c",)])
    conn.close()
    return root


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return _site(tmp_path / "site")


def _outcomes(site: Path, expected: Expected = EXPECTED) -> dict[str, bool | None]:
    return {c.name: c.ok for c in run_checks(str(site), expected, run)}


def test_a_sound_site_passes_every_check(site: Path) -> None:
    outcomes = _outcomes(site)
    assert len(outcomes) == len(CHECKS)
    assert list(outcomes) == [
        "service-answers",
        "configs",
        "users",
        "conversion",
        "backups",
        "report-schedule",
        "alerts",
    ]
    assert False not in outcomes.values()
    assert outcomes["users"] and outcomes["conversion"] and outcomes["alerts"]


def test_the_report_and_junit_name_each_check(site: Path, tmp_path: Path) -> None:
    folder = tmp_path / "acceptance"
    results, changed = accept(str(site), str(folder), EXPECTED, run)
    assert changed
    report = json.loads((folder / "report.json").read_text())
    assert report["passed"] and [c["name"] for c in report["checks"]] == [r.name for r in results]
    suite = ElementTree.parse(folder / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "7" and suite.get("failures") == "0"
    # the same site again: the same report, nothing changed
    assert accept(str(site), str(folder), EXPECTED, run)[1] is False


@pytest.mark.parametrize(
    ("break_it", "check", "message"),
    [
        (lambda s: (s / "application/nginx.conf").unlink(), "service-answers", "missing"),
        (
            lambda s: (s / "application/nginx.conf").write_text("server { server_name x; }\n"),
            "service-answers",
            "no server for mail.acme.example",
        ),
        (lambda s: (s / "platform/backup.cron").write_text("# none\n"), "backups", "37 2 * * *"),
        (lambda s: (s / "reporting/report.cron").unlink(), "report-schedule", "missing"),
        (
            lambda s: (s / "monitoring/prometheus/alerts.yml").write_text(
                ALERTS.replace('"1800"', '"3600"')
            ),
            "alerts",
            "AspResponseTimeAboveSla at 3600, not 1800",
        ),
    ],
)
def test_a_broken_site_fails_the_check_by_name(
    site: Path, tmp_path: Path, break_it: object, check: str, message: str
) -> None:
    break_it(site)  # type: ignore[operator]
    results, _ = accept(str(site), str(tmp_path / "acceptance"), EXPECTED, run)
    failed = {r.name: r.message for r in results if r.ok is False}
    assert list(failed) == [check]
    assert message in failed[check]
    report = json.loads((tmp_path / "acceptance" / "report.json").read_text())
    assert report["passed"] is False and report["failed"] == [check]
    junit = (tmp_path / "acceptance" / "junit.xml").read_text()
    assert 'failures="1"' in junit and f'name="{check}"' in junit


def test_a_missing_user_or_a_wrong_role_is_named(site: Path) -> None:
    expected = Expected(
        **{
            **EXPECTED.__dict__,
            "users": [
                {"username": "jdoe", "role": "staff"},
                {"username": "cdiaz", "role": "staff"},
            ],
        }
    )
    users = next(c for c in run_checks(str(site), expected, run) if c.name == "users")
    assert users.ok is False
    assert users.message == "jdoe has role admin, not staff; cdiaz is missing"


def test_conversion_counts_must_agree_with_the_reconciliation_of_this_source(site: Path) -> None:
    other = Expected(**{**EXPECTED.__dict__, "conversion": {"sha256": "cd" * 32}})
    found = next(c for c in run_checks(str(site), other, run) if c.name == "conversion")
    assert found.ok is False and "not of the spec's source file" in found.message
    conn = sqlite3.connect(site / "application" / "users.db")
    with conn:
        conn.execute("DELETE FROM converted_records WHERE key = 'c'")
    conn.close()
    found = next(c for c in run_checks(str(site), EXPECTED, run) if c.name == "conversion")
    assert (
        found.ok is False and found.message == "2 records in the database, 3 in the reconciliation"
    )
    # no conversion from a file: nothing to compare, skipped
    none = Expected(**{**EXPECTED.__dict__, "conversion": None})
    assert _outcomes(site, none)["conversion"] is None


def test_a_config_the_real_tool_refuses_fails(site: Path) -> None:
    import shutil

    if shutil.which("named-checkzone") is None:
        pytest.skip("named-checkzone is not installed")
    (site / "network/dns/mail.acme.example.zone").write_text(ZONE.replace("SOA", "SOAX"))
    configs = next(c for c in run_checks(str(site), EXPECTED, run) if c.name == "configs")
    assert configs.ok is False and "named-checkzone" in configs.message
