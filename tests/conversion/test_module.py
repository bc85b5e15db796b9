"""The asp_convert module through real Ansible (ad hoc, local connection)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conversion.helpers import LIBRARY, MODULE_UTILS, reconciliation, records, rejects

pytestmark = pytest.mark.slow

SOURCE = (
    "id,email,name\n"
    "u1,ann@old.example.com,Ann\n"
    "u2,not-an-email,Bo\n"
    "u3,cy@old.example.com,\"{{ lookup('pipe','touch /tmp/asp-convert-pwned') }}\"\n"
    "u1,dup@old.example.com,Ann again\n"
)


def ansible(tmp: Path, args: dict[str, Any], *options: str) -> dict[str, Any]:
    """Run asp_convert (or the module named in ``options``) on localhost; its result."""
    beside = Path(sys.executable).parent / "ansible"
    command = str(beside) if beside.exists() else shutil.which("ansible")
    if command is None:
        pytest.skip("ansible is not installed")
    env = {
        **os.environ,
        "ANSIBLE_LIBRARY": str(LIBRARY),
        "ANSIBLE_MODULE_UTILS": str(MODULE_UTILS),
        "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
    }
    proc = subprocess.run(
        [
            command,
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            json.dumps({"ansible_python_interpreter": sys.executable}),
            "-m",
            "asp_convert",
            "-a",
            json.dumps(args),
            *options,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # localhost | CHANGED => {...}, or FAILED! => {...}
    status, arrow, result = proc.stdout.partition(" => ")
    assert arrow, proc.stdout + proc.stderr
    return {**json.loads(result), "failed": status.endswith("FAILED!")}


def test_the_module_loads_reports_and_is_idempotent(tmp_path: Path) -> None:
    source = tmp_path / "workspace" / "data" / "users.csv"
    source.parent.mkdir(parents=True)
    source.write_text(SOURCE, encoding="utf-8")
    site = tmp_path / "site" / "application"
    args = {
        "source": str(source),
        "format": "csv",
        "key": "id",
        "fields": {"id": "string", "email": "email", "name": "string"},
        "database": str(site / "users.db"),
        "folder": str(site / "conversion"),
    }
    checked = ansible(tmp_path, args, "--check")
    assert checked["changed"] is True
    assert (checked["loaded"], checked["rejected"]) == (2, 2)
    assert not site.exists()

    first = ansible(tmp_path, args)
    assert first["changed"] is True, first
    assert (first["read"], first["loaded"], first["updated"], first["rejected"]) == (4, 2, 0, 2)
    assert reconciliation(site / "conversion")["loaded"] == 2
    stored = records(site / "users.db")
    assert stored["u3"]["name"].startswith("{{ lookup(")  # kept literally
    assert not Path("/tmp/asp-convert-pwned").exists()
    assert [(r["line"], r["key"]) for r in rejects(site / "conversion")] == [
        ("3", "u2"),
        ("5", "u1"),
    ]

    again = ansible(tmp_path, args)
    assert again["changed"] is False
    assert (again["loaded"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_a_missing_column_fails_the_task_with_the_reason(tmp_path: Path) -> None:
    source = tmp_path / "users.csv"
    source.write_text(SOURCE, encoding="utf-8")
    result = ansible(
        tmp_path,
        {
            "source": str(source),
            "format": "csv",
            "key": "id",
            "fields": {"id": "string", "phone": "string"},
            "database": str(tmp_path / "app.db"),
            "folder": str(tmp_path / "conversion"),
        },
    )
    assert result["failed"] is True
    assert "the header has no column 'phone'" in result["msg"]
    assert not (tmp_path / "app.db").exists()


def test_training_invitations_through_ansible_are_idempotent(tmp_path: Path) -> None:
    folder = tmp_path / "site" / "training"
    args = {
        "folder": str(folder),
        "customer": "acme-corp",
        "name": "ACME Corporation",
        "sessions": [
            {"date": "2026-12-08", "topic": "Basics", "attendees": ["jdoe@acme.example"]},
            {"date": "2026-12-10", "topic": "Admin", "attendees": ["bsmith@acme.example"]},
        ],
    }
    first = ansible(tmp_path, args, "-m", "asp_training")
    assert first["changed"] is True, first
    assert first["written"] == ["attendance.csv", "session-1.ics", "session-2.ics"]
    assert (folder / "session-2.ics").read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    again = ansible(tmp_path, args, "-m", "asp_training")
    assert again["changed"] is False
