"""Which worker host ran each customer: recorded for every run streamed to workers.

A customer's site lives on the worker that applied it, so its later runs (a change, a
destroy) go back to that worker; ``status`` and the run's record name it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping


def record_workers(conn: sqlite3.Connection, run_id: str, workers: Mapping[str, str]) -> None:
    """Record that ``run_id`` runs each customer on its worker (customer -> worker name)."""
    now = time.time()
    conn.executemany(
        "INSERT INTO run_workers (run_id, customer, worker, recorded_at) VALUES (?, ?, ?, ?)",
        [(run_id, customer, worker, now) for customer, worker in workers.items()],
    )


def last_workers(
    conn: sqlite3.Connection, customers: Iterable[str] | None = None
) -> dict[str, str]:
    """The worker of each customer's latest run on a worker."""
    wanted = None if customers is None else set(customers)
    out: dict[str, str] = {}
    rows = conn.execute(
        "SELECT customer, worker FROM run_workers ORDER BY recorded_at, run_id"
    ).fetchall()
    for customer, worker in rows:
        if wanted is None or customer in wanted:
            out[str(customer)] = str(worker)
    return out


def run_workers(conn: sqlite3.Connection, run_id: str) -> dict[str, str]:
    """The worker of each customer of ``run_id`` (empty for a run here)."""
    rows = conn.execute(
        "SELECT customer, worker FROM run_workers WHERE run_id = ? ORDER BY customer", (run_id,)
    ).fetchall()
    return {str(c): str(w) for c, w in rows}
