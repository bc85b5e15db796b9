"""A temporary workspace with the example customers, applied with real Ansible."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from asp_provision.spec.catalog_text import without_gates
from tests.cli.helpers import ROOT, run_cli

SECRET = "oidc-Secret-7f3a9c-never-shown"
ENV = {"GLOBEX_OIDC_SECRET": SECRET}


def make_workspace(folder: Path, gates: bool = False) -> Path:
    """Specs, catalog and playbooks of the project in ``folder``.

    Unless ``gates``, the catalog holds no gates, so that apply takes each customer all
    the way to live: these tests are about provisioning and runs (test_onboarding.py is
    about the gates).
    """
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "specs", folder / "specs")
    text = (ROOT / "catalog.yaml").read_text(encoding="utf-8")
    if not gates:
        text = without_gates(text)
    (folder / "catalog.yaml").write_text(text, encoding="utf-8")
    (folder / "playbooks").symlink_to(ROOT / "playbooks")
    return folder


def cli(
    ws: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run asp-provision in ``ws``."""
    return run_cli(*args, cwd=ws, env={**ENV, **(env or {})})


def plan_json(ws: Path) -> dict[str, Any]:
    """``plan --format json`` as data."""
    result = cli(ws, "plan", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def running_steps(plan: dict[str, Any]) -> dict[str, list[str]]:
    """Customer -> the steps the plan will run."""
    return {
        c["customer"]: [s["step"] for s in c["steps"] if s["action"] != "no-op"]
        for c in plan["customers"]
        if any(s["action"] != "no-op" for s in c["steps"])
    }


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` in a SQLite file (read-only)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def applied(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A workspace whose three example customers were applied once."""
    ws = make_workspace(tmp_path_factory.mktemp("applied") / "ws")
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    return ws, result
