"""Time `sla report --all` of one month for N customers and M tickets against reading the
same ticket rows from the state into Python tuples.

    python -m bench.sla [N] [M] [--runs R]

Target at N=1000, M=1,000,000: the report <= 2x the read, in under 500 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from asp_provision.state.store import StateStore
from bench.common import CLI, report, write_specs

PERIOD = "2026-10"
_START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC).timestamp()
_MONTH = 31 * 86400
_PRIORITIES = ("P1", "P2", "P3", "P4")

READ = """
import sqlite3, sys
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = conn.execute(
    "SELECT customer, priority, created, first_response, resolved FROM tickets "
    "WHERE created >= ? AND created < ?", (float(sys.argv[2]), float(sys.argv[3]))
).fetchall()
print(len(rows))
"""


def fill(state: Path, customers: int, tickets: int) -> None:
    """Tickets spread over the month, about a tenth still open; a few outages each."""
    rng = random.Random(42)
    store = StateStore(state).open()
    conn = store.connection
    conn.execute("BEGIN")

    def rows() -> Iterator[tuple[object, ...]]:
        for i in range(tickets):
            created = _START + rng.random() * (_MONTH - 7200)
            first = created + rng.expovariate(1 / 1800) if rng.random() > 0.05 else None
            resolved = created + rng.expovariate(1 / 20000) if rng.random() > 0.1 else None
            yield (
                f"T-{i}",
                f"customer-{i % customers:05d}",
                _PRIORITIES[i % 4],
                "email",
                created,
                first,
                resolved,
                0.0,
            )

    conn.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows())
    outages = []
    for c in range(customers):
        for _ in range(3):
            start = _START + rng.random() * _MONTH
            outages.append((f"customer-{c:05d}", start, start + rng.random() * 3600, c % 2, 0.0))
    conn.executemany("INSERT INTO outages VALUES (?, ?, ?, ?, ?)", outages)
    conn.execute("COMMIT")
    store.close()


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Seconds and peak resident MB of one run (the biggest of its processes)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("customers", type=int, nargs="?", default=1000)
    parser.add_argument("tickets", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_specs(folder / "specs", args.customers, users=2)
        state = folder / ".asp" / "state.db"
        started = time.perf_counter()
        fill(state, args.customers, args.tickets)
        print(f"filled the state in {time.perf_counter() - started:.1f}s")
        sla = [*CLI, "-C", str(folder), "sla", "report", "--all", "--period", PERIOD, "-f", "json"]
        read = [sys.executable, "-c", READ, str(state), str(_START), str(_START + _MONTH)]
        timed(sla, folder)  # credits are recorded on the first report; time the ones after
        times_a, times_b, ratios = [], [], []
        for _ in range(args.runs):
            a, peak = timed(sla, folder)
            b, _ = timed(read, folder)
            times_a.append(a)
            times_b.append(b)
            ratios.append(a / b)
        times_a.sort()
        times_b.sort()
        ratios.sort()
        mid = args.runs // 2
        print(f"{args.customers} customers, {args.tickets:,} tickets in {PERIOD}")
        report("sla report --all vs reading the rows", times_a[mid], times_b[mid], ratios[mid], 2.0)
        print(f"peak memory: {peak:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
