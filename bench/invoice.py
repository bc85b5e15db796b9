"""Time `invoice --all` of N customers with a month of usage each, against `plan` of the
same specs, and report the invoice run's peak memory at N and N/10.

    python -m bench.invoice [N] [--runs R]

Usage per customer and month: hourly bandwidth samples, daily active seats and storage
(780 samples). Each timed invoice run starts from a ledger without invoices.
Target at N=10000: invoice <= 3x plan, and memory that does not grow with N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import yaml

from asp_provision.billing.terms import Billed
from asp_provision.spec.models import Subscription
from asp_provision.state.store import StateStore
from bench.common import CLI, SpecTemplates, paired, report, spec_values

PERIOD = "2026-11"
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def billed_state(state: Path, billed: Iterable[Billed]) -> None:
    """The terms of each subscription, and a month of usage for each."""
    with StateStore(state) as store:
        # the samples of a month outgrow SQLite's default page cache many times over
        store.connection.execute("PRAGMA cache_size = -262144")
        with store.transaction() as conn:
            _fill(conn, billed)


def _fill(conn: sqlite3.Connection, billed: Iterable[Billed]) -> None:
    for terms in billed:
        conn.execute(
            "INSERT INTO billing_changes (customer, effective, terms_json, run_id, "
            "recorded_at) VALUES (?, '2026-11-01', ?, 'bench', 0)",
            (terms.customer, terms.to_json()),
        )
    # the samples are made by SQLite itself: writing millions of rows from Python
    # would make the set-up the longest part of the benchmark
    conn.execute(
        "CREATE TEMP TABLE bench_customers AS SELECT customer, "
        "CAST(substr(customer, 10) AS INTEGER) AS i FROM billing_changes"
    )
    start = int(START.timestamp())
    conn.execute(
        "WITH RECURSIVE h(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM h WHERE x < 719) "
        "INSERT INTO usage_samples (customer, metric, at, value) "
        "SELECT customer, 'bandwidth_mbps', ? + x * 3600, CAST(40 + (x * 7 + i) % 90 AS TEXT)"
        " FROM bench_customers, h",
        (start,),
    )
    conn.execute(
        "WITH RECURSIVE d(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM d WHERE x < 29) "
        "INSERT INTO usage_samples (customer, metric, at, value) "
        "SELECT customer, 'active_seats', ? + x * 86400, CAST(55 + (x + i) % 50 AS TEXT) "
        "FROM bench_customers, d UNION ALL "
        "SELECT customer, 'storage_gb', ? + x * 86400, CAST(900 + x * 5 + i % 100 AS TEXT) "
        "FROM bench_customers, d",
        (start, start),
    )


def fresh_invoice(state: Path, folder: Path) -> list[str]:
    """A command that empties the invoices, then runs ``invoice --all`` (JSON to stdout)."""
    reset = (
        "import os, sqlite3, sys;"
        f"c = sqlite3.connect({str(state)!r});"
        "c.executescript('DELETE FROM invoices; DELETE FROM billing_numbers;');"
        "c.close();"
        "os.execv(sys.executable, sys.argv[1:])"
    )
    return [
        sys.executable,
        "-c",
        reset,
        *CLI,
        "-C",
        str(folder),
        "invoice",
        "--all",
        "--period",
        PERIOD,
        "--format",
        "json",
    ]


_MEASURE = (
    "import resource, subprocess, sys;"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def max_rss_mb(cmd: list[str]) -> float:
    """Peak resident memory (MB) of one run of ``cmd``.

    A child's peak counts the memory of the process it was forked from, and this one
    holds the terms of every customer by now: ``cmd`` is run from a small process, whose
    own child's peak is its own.
    """
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip()) / 1024


def workspace(folder: Path, count: int) -> list[str]:
    """Specs billed from November 1 and their terms in the state, as an apply records them.

    The specs are written from one template per tier; the terms of each are those of its
    tier's validated spec with the spec's own values put in.
    """
    specs = folder / "specs"
    specs.mkdir(parents=True)
    templates = SpecTemplates(users=2, start_date=START.date())
    validated = [Billed.of(Subscription.model_validate(d)) for d in templates.samples]

    def billed() -> Iterator[Billed]:
        for index in range(count):
            templates.write(specs, index)
            values = spec_values(index)
            terms = replace(
                validated[index % len(validated)],
                customer=values["slug"],
                name=f"Customer {index}",
                seats=int(values["seats"]),
                bandwidth_mbps=int(values["mbps"]),
                storage_gb=int(values["size"]),
                account=values["account"],
            )
            if index == count - 1:  # the last spec, validated as a whole, bills the same
                data = yaml.safe_load(templates.text(index))
                assert terms == Billed.of(Subscription.model_validate(data))
            yield terms

    state = folder / ".asp" / "state.db"
    billed_state(state, billed())
    return fresh_invoice(state, folder)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "small", Path(tmp) / "large"
        started = time.perf_counter()
        invoice_small = workspace(small, max(args.n // 10, 1))
        invoice_large = workspace(large, args.n)
        print(f"set-up {time.perf_counter() - started:.0f}s")
        a, b, ratio = paired(invoice_large, [*CLI, "-C", str(large), "plan"], args.runs)
        print(f"{args.n} customers, a month of usage each (780 samples)")
        report("invoice --all vs plan", a, b, ratio, 3.0)
        rss_small, rss_large = max_rss_mb(invoice_small), max_rss_mb(invoice_large)
        print(
            f"invoice --all max RSS: {rss_small:.0f} MB at {args.n // 10}, "
            f"{rss_large:.0f} MB at {args.n}"
        )


if __name__ == "__main__":
    main()
