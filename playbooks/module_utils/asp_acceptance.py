# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""Acceptance: the customer's service checked as its users would see it, on the site's files.

Each check is one function returning a :class:`Check`; :func:`accept` runs them all and
writes ``report.json`` and ``junit.xml``. A check is passed, failed, or skipped (a tool
that is not installed here cannot judge). :func:`service_answers` is the check of the
service itself: where the local site is served, a real HTTPS request for the customer's
domain, with the site's certificate authority as the only trust root; elsewhere, the web
server's configuration for the domain held to the real ``nginx -t``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import sqlite3
import ssl
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

try:
    from ansible.module_utils.asp_checkers import Run, check
except ImportError:  # imported from the folder itself (tests)
    from asp_checkers import Run, check  # type: ignore[no-redef]

REPORT, JUNIT = "report.json", "junit.xml"


@dataclass(frozen=True)
class Check:
    """One acceptance check's outcome: ``ok`` True, False, or None when skipped."""

    name: str
    ok: bool | None
    message: str


@dataclass(frozen=True)
class Expected:
    """What the spec promises, as the acceptance step is given it."""

    customer: str
    domain: str
    users: list[dict[str, str]]  # username, role
    conversion: dict[str, Any] | None  # {"sha256": ...} when records were loaded from a file
    backup_cron: str
    report_cron: str
    alerts: dict[str, Any]  # availability_pct, response_seconds, resolution_seconds
    served: dict[str, Any] | None = None  # the served local site: {"port", "trust"}


def _read(site: str, relative: str) -> str | None:
    try:
        with open(os.path.join(site, relative), encoding="utf-8") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _tool(found: dict[str, Any], what: str) -> Check | None:
    """A failed or skipped check from a checker's result (None when it passed)."""
    if not found["available"]:
        return Check(what, None, f"{what}: the checker is not installed here")
    if found["ok"] is None:
        return Check(what, None, f"{what}: the checker cannot judge here ({found['output']})")
    if not found["ok"]:
        return Check(what, False, f"{what} is refused: {found['output'][:500]}")
    return None


def service_answers(site: str, expected: Expected, run: Run) -> Check:
    """The service answers for the customer's domain.

    Where the local site is served: a GET of the domain's page over HTTPS from the served
    site must come back 200, under a certificate for the domain that the site's authority
    signed, and name the customer. Elsewhere: a server block for the domain that the real
    nginx accepts.
    """
    name = "service-answers"
    conf = _read(site, "application/nginx.conf")
    if conf is None:
        return Check(name, False, "application/nginx.conf is missing: nothing serves the domain")
    if f"server_name {expected.domain};" not in conf:
        return Check(name, False, f"application/nginx.conf has no server for {expected.domain}")
    if expected.served is not None:
        return _answers_over_https(name, expected)
    problem = _tool(check(run, "nginx", os.path.join(site, "application/nginx.conf")), "nginx -t")
    if problem is not None and problem.ok is False:
        return Check(name, False, problem.message)
    judged = "nginx -t accepts its server block" if problem is None else problem.message
    return Check(name, True, f"{expected.domain} is served ({judged})")


def https_get(port: int, domain: str, trust: str, timeout: float = 5.0) -> tuple[int, str]:
    """GET / of ``domain`` from 127.0.0.1:``port``: SNI and Host are the domain.

    The certificate must chain to ``trust`` and name the domain (``ssl`` refuses it
    otherwise, with :class:`ssl.SSLCertVerificationError`).
    """
    context = ssl.create_default_context(cafile=trust)
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    conn = http.client.HTTPConnection(domain, port, timeout=timeout)
    try:
        conn.sock = context.wrap_socket(raw, server_hostname=domain)
        conn.request("GET", "/")
        response = conn.getresponse()
        return response.status, response.read(1 << 16).decode("utf-8", "replace")
    finally:
        conn.close()
        raw.close()


def _answers_over_https(name: str, expected: Expected, wait: float = 10.0) -> Check:
    """The real request; a reload just asked of nginx may take a moment to reach its workers."""
    served = expected.served or {}
    port, trust = int(served["port"]), str(served["trust"])
    url = f"https://{expected.domain}:{port}/ (on 127.0.0.1)"
    deadline = time.monotonic() + wait
    while True:
        try:
            status, page = https_get(port, expected.domain, trust)
            if status == 200 and f"<td>{expected.customer}</td>" in page:
                return Check(
                    name,
                    True,
                    f"{url} answered 200 with {expected.customer}'s page, under a certificate "
                    f"for {expected.domain} from the site's authority",
                )
            problem = f"{url} answered {status} without {expected.customer}'s page"
        except ssl.SSLCertVerificationError as exc:
            return Check(name, False, f"{url}: the certificate is refused: {exc.verify_message}")
        except (OSError, http.client.HTTPException) as exc:
            problem = f"{url} does not answer: {exc}"
        if time.monotonic() > deadline:
            return Check(name, False, problem)
        time.sleep(0.2)


def configs(site: str, expected: Expected, run: Run) -> Check:
    """The firewall, the DNS zone and the alert rules pass their tools' syntax checks."""
    name = "configs"
    targets = [
        ("nft", "network/nftables.nft", "nft -c"),
        ("zone", f"network/dns/{expected.domain}.zone", "named-checkzone"),
        ("prometheus_rules", "monitoring/prometheus/alerts.yml", "promtool check rules"),
    ]
    judged, skipped = [], []
    for checker, relative, what in targets:
        path = os.path.join(site, relative)
        if not os.path.isfile(path):
            return Check(name, False, f"{relative} is missing")
        target: Any = (expected.domain, path) if checker == "zone" else path
        problem = _tool(check(run, checker, target), f"{what} {relative}")
        if problem is None:
            judged.append(what)
        elif problem.ok is False:
            return Check(name, False, problem.message)
        else:
            skipped.append(what)
    if not judged:
        return Check(name, None, "no syntax checker is installed here: " + ", ".join(skipped))
    left = f" ({', '.join(skipped)} could not judge here)" if skipped else ""
    return Check(name, True, f"accepted by {', '.join(judged)}{left}")


def users(site: str, expected: Expected, run: Run) -> Check:
    """Every user of the spec exists in the application with its role."""
    name = "users"
    path = os.path.join(site, "application/users.db")
    try:
        found = dict(_rows(path, "users", "SELECT username, role FROM users"))
    except sqlite3.Error as exc:
        return Check(name, False, f"application/users.db cannot be read: {exc}")
    wrong = []
    for user in expected.users:
        role = found.get(user["username"])
        if role is None:
            wrong.append(f"{user['username']} is missing")
        elif role != user["role"]:
            wrong.append(f"{user['username']} has role {role}, not {user['role']}")
    if wrong:
        return Check(name, False, "; ".join(wrong))
    return Check(name, True, f"{len(expected.users)} users, each with its role")


def conversion(site: str, expected: Expected, run: Run) -> Check:
    """The converted records agree with the reconciliation of the current source."""
    name = "conversion"
    if expected.conversion is None:
        return Check(name, None, "no records to convert from a file")
    text = _read(site, "application/conversion/reconciliation.json")
    if text is None:
        return Check(name, False, "application/conversion/reconciliation.json is missing")
    try:
        counts = json.loads(text)
        loaded = int(counts["loaded"]) + int(counts["updated"]) + int(counts["unchanged"])
        read, rejected = int(counts["read"]), int(counts["rejected"])
    except (ValueError, KeyError, TypeError) as exc:
        return Check(name, False, f"reconciliation.json cannot be read: {exc}")
    if counts.get("sha256") != expected.conversion.get("sha256"):
        return Check(name, False, "reconciliation.json is not of the spec's source file (SHA-256)")
    if read != loaded + rejected:
        return Check(
            name, False, f"{read} records read, but {loaded} loaded and {rejected} rejected"
        )
    try:
        rows = _rows(
            os.path.join(site, "application/users.db"),
            "converted_records",
            "SELECT count(*) FROM converted_records",
        )
    except sqlite3.Error as exc:
        return Check(name, False, f"the converted records cannot be read: {exc}")
    held = int(rows[0][0]) if rows else 0
    if held < loaded:
        return Check(name, False, f"{held} records in the database, {loaded} in the reconciliation")
    return Check(name, True, f"{loaded} records loaded, {rejected} rejected, {held} held")


def _cron_check(name: str, relative: str, schedule: str, what: str) -> Callable[..., Check]:
    def cron(site: str, expected: Expected, run: Run) -> Check:
        text = _read(site, relative)
        if text is None:
            return Check(name, False, f"{relative} is missing: no {what} is scheduled")
        lines = [line for line in text.splitlines() if line and not line.startswith("#")]
        wanted = getattr(expected, schedule)
        if not any(line.startswith(wanted + " ") for line in lines):
            return Check(name, False, f"{relative} does not run the {what} at '{wanted}'")
        return Check(name, True, f"{what} scheduled at '{wanted}'")

    cron.__doc__ = f"The {what} is scheduled as the spec says."
    return cron


backups = _cron_check("backups", "platform/backup.cron", "backup_cron", "backup")
report_schedule = _cron_check("report-schedule", "reporting/report.cron", "report_cron", "report")

_THRESHOLD = re.compile(r"(?m)^\s*- alert: (\w+)\n(?:.*\n)*?\s*threshold: \"([^\"]*)\"")


def alerts(site: str, expected: Expected, run: Run) -> Check:
    """The alert rules hold the SLA's availability, response and resolution thresholds."""
    name = "alerts"
    text = _read(site, "monitoring/prometheus/alerts.yml")
    if text is None:
        return Check(name, False, "monitoring/prometheus/alerts.yml is missing")
    found = dict(_THRESHOLD.findall(text))
    wanted = {
        "AspAvailabilityBelowSla": expected.alerts["availability_pct"],
        "AspResponseTimeAboveSla": expected.alerts["response_seconds"],
        "AspResolutionTimeAboveSla": expected.alerts["resolution_seconds"],
    }
    wrong = [
        f"{alert} at {found.get(alert, 'missing')}, not {value}"
        for alert, value in wanted.items()
        if found.get(alert) != str(value)
    ]
    if wrong:
        return Check(name, False, "; ".join(wrong))
    return Check(name, True, "availability, response and resolution alerts match the SLA")


CHECKS: tuple[Callable[[str, Expected, Run], Check], ...] = (
    service_answers,
    configs,
    users,
    conversion,
    backups,
    report_schedule,
    alerts,
)
"""Every acceptance check, in the order they run and are reported."""


def _rows(path: str, table: str, query: str) -> list[tuple[Any, ...]]:
    if not os.path.isfile(path):
        return []
    conn = sqlite3.connect("file:" + quote(os.path.abspath(path)) + "?mode=ro", uri=True)
    try:
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone():
            return []
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def junit(customer: str, results: list[Check]) -> str:
    """The checks as JUnit XML: one test case per check."""
    failures = sum(1 for r in results if r.ok is False)
    skipped = sum(1 for r in results if r.ok is None)
    suite = ElementTree.Element(
        "testsuite",
        name=f"acceptance {customer}",
        tests=str(len(results)),
        failures=str(failures),
        skipped=str(skipped),
        errors="0",
    )
    for result in results:
        case = ElementTree.SubElement(
            suite, "testcase", classname=f"acceptance.{customer}", name=result.name
        )
        if result.ok is False:
            ElementTree.SubElement(case, "failure", message=result.message).text = result.message
        elif result.ok is None:
            ElementTree.SubElement(case, "skipped", message=result.message)
        else:
            ElementTree.SubElement(case, "system-out").text = result.message
    suites = ElementTree.Element("testsuites")
    suites.append(suite)
    ElementTree.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, "unicode") + "\n"
    )


def run_checks(site: str, expected: Expected, run: Run) -> list[Check]:
    """Every check's outcome."""
    return [each(site, expected, run) for each in CHECKS]


def accept(
    site: str, folder: str, expected: Expected, run: Run, check_mode: bool = False
) -> tuple[list[Check], bool]:
    """Run the checks, write the report and the JUnit XML; return them and whether they changed."""
    results = run_checks(site, expected, run)
    report = {
        "customer": expected.customer,
        "passed": not any(r.ok is False for r in results),
        "failed": [r.name for r in results if r.ok is False],
        "checks": [asdict(r) for r in results],
    }
    files = {
        REPORT: json.dumps(report, indent=2, sort_keys=True) + "\n",
        JUNIT: junit(expected.customer, results),
    }
    changed = any(_read(folder, name) != text for name, text in files.items())
    if changed and not check_mode:
        os.makedirs(folder, exist_ok=True)
        for name, text in files.items():
            temporary = os.path.join(folder, f".{name}.tmp")
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, os.path.join(folder, name))
    return results, changed
