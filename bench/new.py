"""Time `new --from-csv` of N deals against `validate` of the N specs it writes.

    python -m bench.new [N] [--runs R]

Both run through the real command line in the same workspace, in turn (A B A B ...):
`new` writes the N specs into an empty specs/ folder, as it does for a real batch of
deals, then `validate` checks them. Target at N=1000: new --from-csv <= 3x validate.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from asp_provision.scaffold.deal import OPTION_NAMES
from bench.common import CLI, report, wall

COLUMNS = list(OPTION_NAMES)  # the CSV header names the options of `new`
_DEALS = [
    ("silver", "crm-suite", "2024.2", "internet", ""),
    ("gold", "hosted-email", "4.3", "vpn", ""),
    ("platinum", "erp-core", "11.0", "mpls", "Telia"),
]


def deal(index: int) -> dict[str, str]:
    """A varied, valid deal: tier, application, seats, connection and admins differ."""
    tier, app, version, connection, provider = _DEALS[index % 3]
    customer = f"customer-{index:05d}"
    domain = f"{customer}.example"
    admins = [f"admin{a}:admin{a}@{domain}" for a in range(1 + index % 3)]
    return {
        "customer": customer,
        "name": f"Customer {index}, Ltd.",
        "tier": tier,
        "app": app,
        "version": version,
        "edition": "enterprise" if index % 2 else "standard",
        "seats": str(10 + (index * 37) % 990),
        "bandwidth": str(20 + index % 200),
        "connection": connection,
        "provider": provider,
        "domain": f"app.{domain}",
        "allow-from": f"10.{index % 250}.0.0/16 198.51.100.7/32",
        "contact-name": f"Contact {index}",
        "contact-email": f"billing@{domain}",
        "start-date": f"2027-{1 + index % 12:02d}-01",
        "country": "SE",
        "go-live": f"2027-{1 + index % 12:02d}-15",
        "admin": ";".join(admins),
        "currency": ["USD", "EUR", "GBP"][index % 3],
        "cycle": "annual" if index % 4 == 0 else "monthly",
    }


def write_deals(path: Path, count: int) -> None:
    """Write ``count`` deals as CSV, with a header of the option names."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        writer.writerows(deal(i) for i in range(count))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        specs = workspace / "specs"
        write_deals(workspace / "deals.csv", args.n)
        new = [*CLI, "new", "--from-csv", "deals.csv"]
        validate = [*CLI, "validate"]
        first = subprocess.run(new, cwd=workspace, capture_output=True, text=True, check=False)
        written = len(list(specs.glob("*.yaml")))
        if first.returncode != 0 or written != args.n:
            sys.exit(f"new --from-csv failed ({written} of {args.n} specs):\n{first.stderr}")
        print(f"{args.n} deals -> {written} specs")
        wall(validate, workspace)  # warm-up
        times_new, times_validate, ratios = [], [], []
        for _ in range(args.runs):
            shutil.rmtree(specs)
            # each command is timed alone: the disk first settles what came before it
            os.sync()
            a = wall(new, workspace)
            os.sync()
            b = wall(validate, workspace)
            times_new.append(a)
            times_validate.append(b)
            ratios.append(a / b)
        report(
            "new --from-csv vs validate",
            statistics.median(times_new),
            statistics.median(times_validate),
            statistics.median(ratios),
            3.0,
        )


if __name__ == "__main__":
    main()
