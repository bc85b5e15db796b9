"""`init`, `new` and `docs` through the real command line, in a new workspace."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from asp_provision.plan.steps import STEPS
from tests.cli.helpers import run_cli
from tests.scaffold.helpers import csv_row, write_csv

DEAL = [
    "--name",
    "ACME Corporation",
    "--tier",
    "gold",
    "--app",
    "hosted-email",
    "--version",
    "4.3",
    "--edition",
    "enterprise",
    "--seats",
    "50",
    "--bandwidth",
    "100",
    "--connection",
    "vpn",
    "--domain",
    "mail.acme.example",
    "--allow-from",
    "203.0.113.0/24",
    "--contact-name",
    "Jane Doe",
    "--contact-email",
    "billing@acme.example",
    "--start-date",
    "2026-12-01",
    "--country",
    "SE",
    "--go-live",
    "2026-12-15",
    "--admin",
    "jdoe:jdoe@acme.example",
    "--admin",
    "bsmith:bsmith@acme.example",
    "--timezone",
    "America/New_York",
    "--holidays",
    "US",
    "--service-manager",
    "Maria Lind:maria.lind@asp.example:+46 8 555 010 21",
]


@pytest.fixture(scope="module")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("init") / "asp"
    result = run_cli("init", str(root))
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def workspace(template_workspace: Path, tmp_path: Path) -> Path:
    """A fresh copy of a workspace made by `init`."""
    import shutil

    root = tmp_path / "asp"
    shutil.copytree(template_workspace, root, symlinks=True)
    return root


def cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=workspace)


def test_init_makes_a_workspace_that_refuses_to_be_made_twice(tmp_path: Path) -> None:
    root = tmp_path / "asp"
    first = run_cli("init", str(root))
    assert first.returncode == 0, first.stderr
    for name in ("catalog.yaml", "README.md", ".gitignore", "schema/subscription.schema.json"):
        assert (root / name).is_file(), name
    assert (root / "templates" / "spec.yaml.j2").is_file()
    assert (root / "playbooks" / STEPS["network"].apply_tasks).is_file()
    assert list((root / "specs").iterdir()) == []
    assert run_cli("validate", cwd=root).returncode == 0
    again = run_cli("init", str(root))
    assert again.returncode == 2
    assert "is not empty; pass --force" in again.stderr
    (root / "catalog.yaml").write_text("# mine\n")
    forced = run_cli("init", str(root), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (root / "catalog.yaml").read_text() == "# mine\n"
    assert re.search(r"Kept \d+ files that exist already: catalog\.yaml, ", forced.stderr)
    assert "nothing was changed" in forced.stderr
    (root / "README.md").unlink()
    repaired = run_cli("init", str(root), "--force")
    assert "Created a workspace in" in repaired.stderr
    assert (root / "README.md").is_file()


def test_new_writes_a_spec_that_validates_and_plans(workspace: Path) -> None:
    result = cli(workspace, "new", "acme-corp", *DEAL)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    path = workspace / "specs" / "acme-corp.yaml"
    assert "Wrote specs/acme-corp.yaml: gold tier, hosted-email 4.3, 50 seats." in result.stderr
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../schema/subscription.schema.json\n")
    check = cli(workspace, "validate", "--strict")
    assert check.returncode == 0, check.stdout
    plan = cli(workspace, "plan")
    assert plan.returncode == 0, plan.stderr


def test_new_to_stdout_writes_no_file(workspace: Path) -> None:
    result = cli(workspace, "new", "acme-corp", *DEAL, "-o", "-")
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["metadata"]["customer"] == "acme-corp"
    assert list((workspace / "specs").iterdir()) == []


def test_new_never_overwrites_without_force(workspace: Path) -> None:
    assert cli(workspace, "new", "acme-corp", *DEAL).returncode == 0
    path = workspace / "specs" / "acme-corp.yaml"
    path.write_text("# mine\n")
    again = cli(workspace, "new", "acme-corp", *DEAL)
    assert again.returncode == 2
    assert "already exists; pass --force to replace it" in again.stderr
    assert path.read_text() == "# mine\n"
    forced = cli(workspace, "new", "acme-corp", *DEAL, "--force")
    assert forced.returncode == 0, forced.stderr
    assert path.read_text().startswith("# yaml-language-server")


def test_without_a_terminal_a_missing_value_is_a_usage_error_naming_the_flag(
    workspace: Path,
) -> None:
    result = cli(workspace, "new", "acme-corp", "--tier", "gold")
    assert result.returncode == 2
    for flag in ("--name", "--app", "--seats", "--domain", "--contact-email", "--start-date"):
        assert f"error: {flag}: required" in result.stderr
    assert "Traceback" not in result.stderr
    assert list((workspace / "specs").iterdir()) == []


def test_bad_values_are_usage_errors_naming_the_flag(workspace: Path) -> None:
    args = [*DEAL]
    args[args.index("gold")] = "bronze"
    args[args.index("50")] = "fifty"
    result = cli(workspace, "new", "acme-corp", *args)
    assert result.returncode == 2
    assert (
        "error: --tier: unknown tier 'bronze'; the catalog offers silver, gold, platinum"
        in result.stderr
    )
    assert "error: --seats: 'fifty' is not a whole number" in result.stderr


def test_a_template_in_a_value_is_written_literally(workspace: Path) -> None:
    args = [*DEAL]
    args[args.index("ACME Corporation")] = "{{ 7*7 }}"
    assert cli(workspace, "new", "acme-corp", *args).returncode == 0
    text = (workspace / "specs" / "acme-corp.yaml").read_text()
    assert yaml.safe_load(text)["metadata"]["name"] == "{{ 7*7 }}"
    for fmt in ("md", "html"):
        doc = cli(workspace, "docs", "acme-corp", "--format", fmt)
        assert doc.returncode == 0, doc.stderr
        assert "{{ 7*7 }}" in doc.stdout
        assert "49" not in doc.stdout


def test_from_csv_writes_a_spec_per_deal(workspace: Path) -> None:
    write_csv(workspace / "deals.csv", [csv_row(i) for i in range(200)])
    dry = cli(workspace, "new", "--from-csv", "deals.csv", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert list((workspace / "specs").iterdir()) == []
    result = cli(workspace, "new", "--from-csv", "deals.csv")
    assert result.returncode == 0, result.stderr
    assert len(list((workspace / "specs").glob("*.yaml"))) == 200
    check = cli(workspace, "validate", "--format", "json")
    assert check.returncode == 0
    assert '"valid": 200' in check.stdout


def test_from_csv_with_bad_rows_writes_nothing_and_reports_each(workspace: Path) -> None:
    rows = [csv_row(i) for i in range(20)]
    rows[2]["tier"] = "bronze"
    rows[5]["domain"] = "not a domain"
    rows[17]["start-date"] = "tomorrow"
    write_csv(workspace / "DEALS.csv", rows)
    result = cli(workspace, "new", "--from-csv", "DEALS.csv")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("DEALS.csv:")]
    assert lines == [
        "DEALS.csv:4: tier: unknown tier 'bronze'; the catalog offers silver, gold, platinum",
        "DEALS.csv:7: domain: 'not a domain' is not a fully qualified domain name such as "
        "app.example.com",
        "DEALS.csv:19: start-date: 'tomorrow' is not a date; write it as YYYY-MM-DD",
    ]
    assert "3 of 20 deals in DEALS.csv are invalid; no spec was written" in result.stderr
    assert list((workspace / "specs").iterdir()) == []


def test_from_csv_takes_no_deal_options(workspace: Path) -> None:
    write_csv(workspace / "deals.csv", [csv_row(1)])
    result = cli(workspace, "new", "acme-corp", "--from-csv", "deals.csv", "--tier", "gold")
    assert result.returncode == 2
    assert "leave out CUSTOMER, --tier" in result.stderr


def test_docs_in_markdown_and_html(workspace: Path) -> None:
    assert cli(workspace, "new", "acme-corp", *DEAL).returncode == 0
    markdown = cli(workspace, "docs", "acme-corp")
    assert markdown.returncode == 0, markdown.stderr
    assert "### What support includes" in markdown.stdout
    assert "### What support does not include" in markdown.stdout
    assert "| First response | within 30 minutes |" in markdown.stdout
    html = cli(workspace, "docs", "acme-corp", "--format", "html", "-o", "acme.html")
    assert html.returncode == 0, html.stderr
    assert html.stdout == ""
    ET.fromstring((workspace / "acme.html").read_text())


def test_docs_needs_a_valid_spec(workspace: Path) -> None:
    missing = cli(workspace, "docs", "globex")
    assert missing.returncode == 2
    assert "no spec for globex" in missing.stderr
    assert cli(workspace, "new", "acme-corp", *DEAL).returncode == 0
    path = workspace / "specs" / "acme-corp.yaml"
    path.write_text(path.read_text().replace("tier: gold", "tier: bronze"))
    invalid = cli(workspace, "docs", "acme-corp")
    assert invalid.returncode == 1
    assert re.search(r"acme-corp\.yaml:\d+:\d+: error: spec\.tier: unknown tier", invalid.stderr)
    assert invalid.stdout == ""


def _converse(
    cwd: Path, args: list[str], answers: dict[str, list[str]], close_after: int | None = None
) -> tuple[int, str, str]:
    """Run ``asp-provision ARGS`` on a terminal, answering each question whose text holds a
    cue with that cue's next answer (ending the input after ``close_after`` answers);
    returns the exit code, all the terminal showed, and stdout."""
    import pty

    pending = {cue: list(replies) for cue, replies in answers.items()}
    main, secondary = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "asp_provision", *args],
        cwd=cwd,
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    transcript = seen = ""
    given = 0
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(main, 4096).decode(errors="replace")
        except OSError:
            break
        seen += chunk
        transcript += chunk
        if not seen.rstrip().endswith(":"):
            continue
        if close_after is not None and given == close_after:
            os.write(main, b"\x04")  # Ctrl-D: the end of the input
            seen = ""
            continue
        for cue, replies in pending.items():
            if cue in seen.splitlines()[-1] and replies:
                os.write(main, (replies.pop(0) + "\n").encode())
                given += 1
                seen = ""
                break
    if proc.poll() is None:
        proc.kill()
    assert proc.stdout is not None
    stdout = proc.stdout.read().decode()
    proc.wait(timeout=30)
    os.close(main)
    if close_after is None:
        unused = {cue: replies for cue, replies in pending.items() if replies}
        assert not unused, f"never asked for {unused}:\n{transcript}"
    return proc.returncode, transcript, stdout


ANSWERS = {
    "display name": ["ACME Corporation"],
    "Application": ["crm-suite"],
    "Seats sold": ["25"],
    "Bandwidth": ["50"],
    "domain name": ["crm.acme.example"],
    "contact's name": ["Jane Doe"],
    "contact's e-mail": ["billing@acme.example"],
    "Billing start date": ["2027-01-01"],
    "country": ["SE"],
}


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_missing_values_are_asked_for(workspace: Path) -> None:
    args = ["new", "acme-corp", "--tier", "silver"]
    code, transcript, stdout = _converse(workspace, args, ANSWERS)
    assert code == 0, transcript
    assert stdout == ""
    assert "Application, from the catalog (crm-suite, erp-core, hosted-email):" in transcript
    data = yaml.safe_load((workspace / "specs" / "acme-corp.yaml").read_text())
    assert data["spec"]["application"]["name"] == "crm-suite"
    assert data["spec"]["billing"]["seats"] == 25


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_an_answer_that_will_not_do_is_asked_again(workspace: Path) -> None:
    answers = {
        **ANSWERS,
        "Application": ["crm", "crm-suite"],
        "Seats sold": ["ten", "0", "25"],
        "contact's e-mail": ["billing at acme", "billing@acme.example"],
        "Billing start date": ["1/1/2027", "2027-01-01"],
    }
    args = ["new", "initech", "--tier", "silver"]
    code, transcript, _ = _converse(workspace, args, answers)
    assert code == 0, transcript
    for error in (
        "Error: 'crm' is not one of crm-suite, erp-core, hosted-email.",
        "Error: 'ten' is not a whole number",
        "Error: must be at least 1 (got 0)",
        "Error: '1/1/2027' is not a date; write it as YYYY-MM-DD",
    ):
        assert error in transcript
    assert re.search(r"Error: .*billing at acme", transcript), transcript
    data = yaml.safe_load((workspace / "specs" / "initech.yaml").read_text())
    assert data["spec"]["billing"]["seats"] == 25
    assert data["spec"]["billing"]["contact"]["email"] == "billing@acme.example"
    assert str(data["spec"]["billing"]["start_date"]) == "2027-01-01"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_stdout_carries_only_the_spec(workspace: Path) -> None:
    args = ["new", "umbrella", "--tier", "silver", "-o", "-"]
    code, transcript, stdout = _converse(workspace, args, ANSWERS)
    assert code == 0, transcript
    assert stdout.startswith("# yaml-language-server:"), stdout[:80]
    assert yaml.safe_load(stdout)["metadata"]["customer"] == "umbrella"
    assert not (workspace / "specs" / "umbrella.yaml").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_the_input_ending_is_a_usage_error(workspace: Path) -> None:
    args = ["new", "hooli", "--tier", "silver"]
    code, transcript, _ = _converse(workspace, args, ANSWERS, close_after=2)
    assert code == 2, transcript
    assert "error: no answer to 'Seats sold; server sizing and billing follow from it'" in (
        transcript
    )
    assert "Traceback" not in transcript
    assert not (workspace / "specs" / "hooli.yaml").exists()
