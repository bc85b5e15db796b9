"""Tickets and outages imported, a month reported, and its credit recorded once."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sla.helpers import OUTAGES, TICKETS, cli, make_workspace, rows, write


def _imported(tmp_path: Path) -> Path:
    ws = make_workspace(tmp_path)
    result = cli(ws, "tickets", "import", str(write(ws, "tickets.csv", TICKETS)))
    assert result.returncode == 0, result.stderr
    assert "Imported 5 tickets from" in result.stderr and "5 new, 0 updated" in result.stderr
    result = cli(ws, "outages", "import", str(write(ws, "outages.csv", OUTAGES)))
    assert result.returncode == 0, result.stderr
    return ws


def test_a_month_is_reported_and_its_credit_recorded_once(tmp_path: Path) -> None:
    ws = _imported(tmp_path)
    result = cli(ws, "sla", "report", "--all", "--period", "2026-10", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["format_version"] == 1
    first = report["customers"][0]
    # globex-bank breached most: a P1 answered in 5:01 and 40 merged minutes of outage
    assert first["customer"] == "globex-bank"
    assert first["rank"] == 1
    p1 = first["priorities"][0]
    assert p1["tickets"] == 2
    assert (p1["response"]["met"], p1["response"]["breached"]) == (1, 1)
    assert first["availability"]["downtime_minutes"] == 40.0  # the planned work is left out
    assert first["availability"]["promise_pct"] == "99.95"
    assert first["availability"]["met"] is False
    # 40 of 44,700 minutes down: 99.9105 %, under the promise (10 %); half the P1s late (5 %)
    assert first["availability"]["pct"] == "99.9105"
    assert first["credit"]["pct"] == "15"
    assert first["credit"]["status"] == "recorded"
    # northwind's P2 is still open at the month's end: its resolution is late, 5 %
    assert rows(ws, "SELECT customer, period, pct FROM sla_credits ORDER BY customer") == [
        ("globex-bank", "2026-10", "15"),
        ("northwind-traders", "2026-10", "5"),
    ]
    reasons = json.loads(str(rows(ws, "SELECT reasons FROM sla_credits ORDER BY customer")[0][0]))
    assert reasons[0].startswith("availability 99.9105 % is under 99.95 %")
    # the silver customer's ticket, Friday 17:30 to Monday 09:15 in Berlin: 105 minutes
    northwind = next(c for c in report["customers"] if c["customer"] == "northwind-traders")
    assert northwind["priorities"][1]["response"]["median_minutes"] == 105.0
    assert northwind["priorities"][1]["resolution"]["open"] == 0  # open, and measured to the end
    assert northwind["priorities"][1]["resolution"]["breached"] == 1

    again = cli(ws, "sla", "report", "globex-bank", "--period", "2026-10")
    assert again.returncode == 0, again.stderr
    assert "recorded earlier" in again.stdout
    assert rows(ws, "SELECT count(*) FROM sla_credits") == [(2,)]


def test_a_credit_recorded_is_kept_when_the_month_computes_another(tmp_path: Path) -> None:
    ws = _imported(tmp_path)
    assert cli(ws, "sla", "report", "globex-bank", "--period", "2026-10").returncode == 0
    late = TICKETS.replace("10:05:01+01:00", "10:04:00+01:00")  # T-2 answered in time after all
    assert cli(ws, "tickets", "import", str(write(ws, "t2.csv", late))).returncode == 0
    result = cli(ws, "sla", "report", "globex-bank", "--period", "2026-10")
    assert "credit 15 %" in result.stdout
    assert "now computes 10 %; the recorded credit is kept as it was" in result.stdout
    assert rows(ws, "SELECT pct FROM sla_credits WHERE customer = 'globex-bank'") == [("15",)]


def test_a_month_not_yet_ended_records_nothing(tmp_path: Path) -> None:
    ws = _imported(tmp_path)
    result = cli(ws, "sla", "report", "globex-bank", "--period", "2099-01")
    assert result.returncode == 0, result.stderr
    assert rows(ws, "SELECT count(*) FROM sla_credits") == [(0,)]


def test_reimport_updates_by_id(tmp_path: Path) -> None:
    ws = _imported(tmp_path)
    changed = TICKETS.replace("T-3,globex-bank,P3", "T-3,globex-bank,P2")
    result = cli(ws, "tickets", "import", str(write(ws, "again.csv", changed)))
    assert "0 new, 5 updated" in result.stderr
    assert rows(ws, "SELECT priority FROM tickets WHERE id = 'T-3'") == [("P2",)]
    assert rows(ws, "SELECT count(*) FROM tickets") == [(5,)]


def test_bad_rows_are_located_and_nothing_is_imported(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    bad = (
        "id,customer,priority,channel,created,first_response,resolved\n"
        "T-1,globex-bank,P1,phone,2026-10-05T10:00:00+01:00,2026-10-05T10:04:00+01:00,\n"
        "T-2,initech,P1,phone,2026-10-05T10:00:00+01:00,,\n"
        "T-3,globex-bank,P9,phone,2026-10-05T10:00:00+01:00,,\n"
        "T-4,globex-bank,P2,phone,2026-10-05T10:00:00+01:00,2026-10-05T09:00:00+01:00,\n"
        "T-5,globex-bank,P2,phone,2026-10-05T10:00:00,,\n"
    )
    path = write(ws, "bad.csv", bad)
    result = cli(ws, "tickets", "import", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    err = result.stderr
    assert f"{path}:3:2: customer: unknown customer 'initech'" in err
    assert f"{path}:4:3: priority: unknown priority 'P9'; expected P1, P2, P3, P4" in err
    assert f"{path}:5:6: first_response: 2026-10-05T09:00:00+01:00 is before the ticket" in err
    assert f"{path}:6:5: created: '2026-10-05T10:00:00' has no UTC offset" in err
    assert "4 problems in" in err and "nothing was imported" in err
    assert not (ws / ".asp" / "state.db").exists() or rows(ws, "SELECT count(*) FROM tickets") == [
        (0,)
    ]


def test_an_outage_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    text = (
        "customer,start,end,planned\n"
        "acme-corp,2026-10-20T10:00:00-04:00,2026-10-20T09:00:00-04:00,false\n"
    )
    path = write(ws, "outages.csv", text)
    result = cli(ws, "outages", "import", str(path))
    assert result.returncode == 1
    assert f"{path}:2:3: end: 2026-10-20T09:00:00-04:00 is not after the start" in result.stderr


def test_zendesk_and_jira_exports_map_to_the_same_fields(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    zendesk = (
        "Id,Subject,Organization,Priority,Via,Created at,Solved at,First reply time in minutes\n"
        "101,Down,Globex Bank plc,Urgent,Phone,2026-10-05 10:00:00 +0100,"
        "2026-10-05 10:30:00 +0100,4\n"
    )
    jira = (
        "Summary,Issue key,Priority,Created,Resolved,Custom field (Organizations),"
        "Custom field (First response)\n"
        "Slow,ITS-7,Medium,2026-10-06T10:00:00+01:00,,globex-bank,2026-10-06T10:15:00+01:00\n"
    )
    z = cli(ws, "tickets", "import", str(write(ws, "z.csv", zendesk)), "--format", "zendesk")
    assert z.returncode == 0, z.stderr
    j = cli(ws, "tickets", "import", str(write(ws, "j.csv", jira)), "--format", "jira")
    assert j.returncode == 0, j.stderr
    assert rows(ws, "SELECT id, customer, priority, channel FROM tickets ORDER BY id") == [
        ("101", "globex-bank", "P1", "Phone"),
        ("ITS-7", "globex-bank", "P3", None),
    ]
    ((created, first),) = rows(ws, "SELECT created, first_response FROM tickets WHERE id = '101'")
    assert float(str(first)) - float(str(created)) == 240


def test_report_usage_errors(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    bad_period = cli(ws, "sla", "report", "acme-corp", "--period", "2026-13")
    assert bad_period.returncode == 2
    assert "is not a month such as 2026-11" in bad_period.stderr
    unknown = cli(ws, "sla", "report", "initech", "--period", "2026-10")
    assert unknown.returncode == 2
    assert "no spec for initech" in unknown.stderr


def test_a_report_without_a_state_writes_none(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    result = cli(ws, "sla", "report", "acme-corp", "--period", "2026-10", "-f", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["customers"][0]["priorities"][0]["tickets"] == 0
    assert not (ws / ".asp").exists()
