"""Time the data conversion loader on N records against a floor: plain `csv` reading the
same file and `sqlite3.executemany` inserting its rows into a keyed table.

    python -m bench.conversion [N] [--runs R]

Target at N=1,000,000 (about 100 MB): the loader <= 2x the floor, within 256 MB RSS.
Each run loads into a new database, so both sides insert every record.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, report

MODULE_UTILS = ROOT / "playbooks" / "module_utils"
FIELDS = {
    "customer_id": "string",
    "name": "string",
    "email": "email",
    "balance": "decimal",
    "opened": "date",
    "orders": "integer",
    "city": "string",
}

LOAD = """
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from asp_conversion import convert
fields = json.loads(sys.argv[5])
outcome = convert(sys.argv[2], "csv", "customer_id", fields, sys.argv[3], sys.argv[4])
assert outcome.loaded == outcome.read - outcome.rejected, outcome.as_dict()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

FLOOR = """
import csv, resource, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute(
    "CREATE TABLE records (customer_id TEXT PRIMARY KEY, name TEXT, email TEXT, "
    "balance TEXT, opened TEXT, orders INTEGER, city TEXT)"
)
with open(sys.argv[2], encoding="utf-8", newline="") as source:
    rows = csv.reader(source)
    next(rows)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
conn.close()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_CITIES = ("Stockholm", "Berlin", "Lyon", "Porto", "Gdansk", "Tampere", "Aarhus", "Graz")


def write_source(path: Path, count: int) -> None:
    """``count`` customer records, about 100 bytes each, in key order."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for i in range(count):
            writer.writerow(
                (
                    f"C{i:09d}",
                    f"Customer number {i} of the old system",
                    f"customer.{i}@mail{i % 97}.example.com",
                    f"{rng.randrange(-100_000, 10_000_000) / 100:.2f}",
                    f"{2000 + i % 26}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    str(rng.randrange(0, 5000)),
                    _CITIES[i % len(_CITIES)],
                )
            )


def timed(cmd: list[str], fresh: list[Path]) -> tuple[float, float]:
    """Seconds and the peak resident MB one run reports of itself, on a new database."""
    for path in fresh:
        path.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"a run failed: {proc.stderr[-2000:]}")
    return seconds, int(proc.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("records", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "customers.csv"
        started = time.perf_counter()
        write_source(source, args.records)
        size = source.stat().st_size / 1e6
        took = time.perf_counter() - started
        print(f"wrote {args.records:,} records ({size:.0f} MB) in {took:.1f}s")
        app_db, floor_db, out = folder / "app.db", folder / "floor.db", folder / "conversion"
        load = [
            sys.executable,
            "-c",
            LOAD,
            str(MODULE_UTILS),
            str(source),
            str(app_db),
            str(out),
            json.dumps(FIELDS),
        ]
        floor = [sys.executable, "-c", FLOOR, str(floor_db), str(source)]
        timed(load, [app_db])  # warm the page cache for both
        timed(floor, [floor_db])
        times_a, times_b, ratios, peaks, floor_peaks = [], [], [], [], []
        for _ in range(args.runs):
            a, peak = timed(load, [app_db])
            b, floor_peak = timed(floor, [floor_db])
            times_a.append(a)
            times_b.append(b)
            ratios.append(a / b)
            peaks.append(peak)
            floor_peaks.append(floor_peak)
        print(f"{args.records:,} records, CSV, {args.runs} runs each (A B A B)")
        report(
            "loader vs csv + executemany",
            statistics.median(times_a),
            statistics.median(times_b),
            statistics.median(ratios),
            2.0,
        )
        print(
            f"peak RSS: loader {max(peaks):.0f} MB (target <= 256 MB), "
            f"floor {max(floor_peaks):.0f} MB"
        )


if __name__ == "__main__":
    main()
