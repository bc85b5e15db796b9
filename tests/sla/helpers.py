"""A workspace holding the example specs, and files of tickets and outages."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from tests.cli.helpers import ROOT, run_cli

TICKETS = """id,customer,priority,channel,created,first_response,resolved
T-1,globex-bank,P1,phone,2026-10-05T10:00:00+01:00,2026-10-05T10:04:59+01:00,2026-10-05T10:50:00+01:00
T-2,globex-bank,P1,phone,2026-10-06T10:00:00+01:00,2026-10-06T10:05:01+01:00,2026-10-06T10:40:00+01:00
T-3,globex-bank,P3,email,2026-10-07T10:00:00+01:00,2026-10-07T10:10:00+01:00,2026-10-07T11:00:00+01:00
T-4,Northwind Traders,P2,email,2026-10-09T17:30:00+02:00,2026-10-12T09:15:00+02:00,
T-5,acme-corp,P1,phone,2026-10-10T03:00:00-04:00,2026-10-10T03:20:00-04:00,2026-10-10T05:00:00-04:00
"""

OUTAGES = """customer,start,end,planned
globex-bank,2026-10-14T10:00:00+01:00,2026-10-14T10:30:00+01:00,false
globex-bank,2026-10-14T10:20:00+01:00,2026-10-14T10:40:00+01:00,false
globex-bank,2026-10-18T03:00:00+01:00,2026-10-18T05:00:00+01:00,true
acme-corp,2026-10-20T10:00:00-04:00,2026-10-20T10:30:00-04:00,true
"""


def make_workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "specs").mkdir(parents=True)
    for spec in (ROOT / "specs").glob("*.yaml"):
        shutil.copy(spec, root / "specs" / spec.name)
    return root


def cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=workspace)


def write(workspace: Path, name: str, text: str) -> Path:
    path = workspace / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(workspace: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(workspace / ".asp" / "state.db") as conn:
        return conn.execute(sql).fetchall()
