"""Start-up cost: `asp-provision --help` and `validate` of one spec against a minimal typer app.

    python bench/startup.py [--runs R]

Target: both <= 1.5x the minimal app's `--help`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.common import CLI, ROOT, paired, report

MINIMAL = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str) -> None:
    print(name)
@app.command()
def bye(name: str) -> None:
    print(name)
app()
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal.py"
        minimal.write_text(MINIMAL)
        baseline = [sys.executable, str(minimal), "--help"]
        spec = str(ROOT / "specs" / "acme-corp.yaml")
        for label, cmd in (
            ("--help", [*CLI, "--help"]),
            ("validate one spec", [*CLI, "validate", spec]),
        ):
            a, b, ratio = paired(cmd, baseline, args.runs)
            report(f"{label} vs minimal typer --help", a, b, ratio, 1.5)


if __name__ == "__main__":
    main()
