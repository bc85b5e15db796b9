"""Start-up cost: `asp-provision --help` and `validate` of one spec against a minimal typer app.

    python bench/startup.py [--runs R]

Target: both <= 1.5x the minimal app's `--help`.

The package's bytecode is compiled first, as installing a wheel does: an editable
install run with PYTHONDONTWRITEBYTECODE set would otherwise compile every module of
asp-provision from source at each start, while typer's come compiled from site-packages.
"""

from __future__ import annotations

import argparse
import compileall
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
    compileall.compile_dir(ROOT / "asp_provision", quiet=1)
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
