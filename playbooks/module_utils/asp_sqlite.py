# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""What the SQLite modules of asp-provision share: reading without writing, and finishing."""

from __future__ import annotations

import os
import sqlite3
from typing import Any
from urllib.parse import quote


def read_rows(
    path: str, table: str, query: str, args: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    """Rows of ``query`` on ``table``, opening the database read-only.

    A missing file or a missing table reads as no rows; nothing is created.
    """
    if not os.path.exists(path):
        return []
    conn = sqlite3.connect("file:" + quote(os.path.abspath(path)) + "?mode=ro", uri=True)
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        if found is None:
            return []
        return conn.execute(query, args).fetchall()
    finally:
        conn.close()


def connect_for_writing(path: str) -> sqlite3.Connection:
    """The database at ``path``, its folder created when needed."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return sqlite3.connect(path)


def finish(
    module: Any, result: dict[str, Any], path: str, table: str, before: str, after: str
) -> None:
    """Add the diff (in diff mode, when changed), apply the file's mode and owner, and exit."""
    if module._diff and result["changed"]:
        header = f"{path} ({table})"
        result["diff"] = {
            "before_header": header,
            "after_header": header,
            "before": before,
            "after": after,
        }
    if os.path.exists(path):
        file_args = module.load_file_common_arguments(module.params)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)
