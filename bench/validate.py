"""Time `validate` on N generated specs against the floor: libyaml parsing them in one process.

    python bench/validate.py [N] [--runs R]

Target at N=2000: validate <= 1.5x the floor.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.common import CLI, paired, report, write_specs

FLOOR = """
import sys, yaml
from pathlib import Path
for p in sorted(Path(sys.argv[1]).glob("*.yaml")):
    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "specs"
        paths = write_specs(folder, args.n)
        size = sum(p.stat().st_size for p in paths) / len(paths)
        print(f"{args.n} specs, {size / 1024:.1f} KiB each on average")
        a, b, ratio = paired(
            [*CLI, "validate", str(folder)],
            [sys.executable, "-c", FLOOR, str(folder)],
            args.runs,
        )
        report("validate vs libyaml floor", a, b, ratio, 1.5)


if __name__ == "__main__":
    main()
