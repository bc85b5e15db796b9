"""What a run left on a site and in the state, in a form two runs can be compared by."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from tests.e2e.conftest import query

_WHEN = re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")


def site_files(site: Path, tls: Path) -> dict[str, Any]:
    """Every file of ``site``: text with the site's own path, the folder of the certificates
    (``tls``) and times taken out, databases as their rows; certificates and keys by name
    only (each run may issue its own)."""
    out: dict[str, Any] = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        name = str(path.relative_to(site))
        if path.suffix in (".crt", ".key", ".pem"):
            out[name] = "(certificate or key)"
        elif path.suffix == ".db":
            out[name] = database_rows(path)
        else:
            data = path.read_bytes().replace(str(site).encode(), b"<site>")
            data = data.replace(str(tls).encode(), b"<tls>")
            out[name] = _WHEN.sub(b"<time>", data)
    return out


def database_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of every table, times aside (a column named like a time is left out)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = {}
        for table in sorted(tables):
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            keep = [i for i, n in enumerate(names) if not n.endswith(("_at", "at", "time", "when"))]
            out[table] = sorted(tuple(row[i] for i in keep) for row in cursor.fetchall())
        return out
    finally:
        conn.close()


def state_rows(db: Path) -> list[tuple[Any, ...]]:
    """The steps the state records: customer, step, status and what each read."""
    return query(db, "SELECT customer, step, status, input_hash FROM steps ORDER BY 1, 2")


def event_counts(log: Path) -> list[int]:
    """The events each job of a run reported, from its log."""
    return [int(n) for n in re.findall(r"# asp-provision: (\d+) events, ", log.read_text())]
