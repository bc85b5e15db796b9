"""Time `apply` of N new customers streamed over ssh to two workers against the same here.

    python -m bench.workers [N] [--rounds R]

In each round, on fresh sites, A B A B: (a) `asp-provision apply --yes` here; (b) the same
with `workers = ["ssh://worker-a", "ssh://worker-b"]`, two aliases of an sshd on
loopback (started for the benchmark, with keys of its own), so both workers share this
machine's cores with the controller. Measured: the wall time of each, and the CPU time
of the controller's own process tree (for (a) that holds ansible-playbook; for (b) only
the controller and its ssh clients, the workers running under sshd).
Targets: b <= 1.15 a (wall); the controller's CPU in (b) < 10 % of (a)'s.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from asp_provision.spec.catalog_text import without_gates
from bench.common import CLI, ROOT, write_specs
from tests.sshd import start_sshd, stop_sshd


def _workspace(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    text = without_gates((ROOT / "catalog.yaml").read_text(encoding="utf-8"))
    (folder / "catalog.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "playbooks", folder / "playbooks")
    write_specs(folder / "specs", n)


def _apply(folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds (of the command's own process tree) of one apply."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [*CLI, "-C", str(folder), "apply", "--yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"apply failed in {folder}:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sshd = start_sshd(root / "sshd")
        try:
            here, there = root / "here", root / "there"
            _workspace(here, args.n)
            _workspace(there, args.n)
            (there / "asp-provision.toml").write_text(
                'workers = ["ssh://worker-a", "ssh://worker-b"]\n'
                f'ssh_config = "{sshd.client_config}"\n'
                f'worker_site = "{root / "worker-site"}"\n'
                f'worker_python = "{sys.executable}"\n'
                f'worker_dir = "{root / "worker"}"\n'
            )
            runs: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}
            for _ in range(args.rounds):
                for key, folder in (("a", here), ("b", there)):
                    shutil.rmtree(folder / ".asp", ignore_errors=True)
                    shutil.rmtree(root / "worker-site", ignore_errors=True)
                    runs[key].append(_apply(folder))
        finally:
            stop_sshd(sshd)
    wall = statistics.median(b[0] / a[0] for a, b in zip(runs["a"], runs["b"], strict=True))
    cpu = statistics.median(b[1] / a[1] for a, b in zip(runs["a"], runs["b"], strict=True))
    med = {
        k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for k, v in runs.items()
    }
    print(f"{args.n} customers, {args.rounds} rounds (medians)")
    print(f"(a) apply here:                   {med['a'][0]:.2f}s wall, {med['a'][1]:.2f}s CPU")
    print(f"(b) apply on two ssh workers:     {med['b'][0]:.2f}s wall, {med['b'][1]:.2f}s CPU")
    print(f"b/a wall: {wall:.2f}x  (target <= 1.15x) {'ok' if wall <= 1.15 else 'OVER 1.15x'}")
    print(f"b/a controller CPU: {cpu:.1%}  (target < 10%) {'ok' if cpu < 0.10 else 'OVER 10%'}")


if __name__ == "__main__":
    main()
