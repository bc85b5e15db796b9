"""The playbooks' module_utils, imported the way the modules' tests need them."""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MODULE_UTILS = ROOT / "playbooks" / "module_utils"
LIBRARY = ROOT / "playbooks" / "library"
if str(MODULE_UTILS) not in sys.path:
    sys.path.insert(0, str(MODULE_UTILS))


def records(db: Path) -> dict[str, dict[str, Any]]:
    """The converted records in ``db``, by key, decoded."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT key, data FROM converted_records").fetchall()
    finally:
        conn.close()
    return {key: json.loads(data) for key, data in rows}


def rejects(folder: Path) -> list[dict[str, str]]:
    """The rows of rejects.csv."""
    with (folder / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def reconciliation(folder: Path) -> dict[str, Any]:
    """reconciliation.json as data."""
    return json.loads((folder / "reconciliation.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]
