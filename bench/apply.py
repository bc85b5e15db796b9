"""Time `apply` of N new customers against plain ansible-playbook on the same playbooks.

    python -m bench.apply [N] [--rounds R]

In each round, on a fresh site: (a) `asp-provision apply --yes`; (b) `ansible-playbook`
with Ansible's default settings over an equivalent inventory (what an engineer would
run by hand); (c) `ansible-playbook` with the settings asp-provision uses (mitogen, the
same forks and generated playbook: our overhead); (d) a second `apply` with nothing to
change. Targets: a <= 0.4 b; a <= 1.15 c; d <= 0.2 a. (a) issues each customer's
certificate from the site's authority as part of the run; (b) and (c) use certificates
issued once beforehand, as an engineer's run would use the ones on the hosts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from asp_provision.config import Workspace
from asp_provision.plan.steps import STEPS
from asp_provision.run.apply import Runner
from asp_provision.run.inventory import build_inventory
from asp_provision.run.jobs import _environment
from asp_provision.run.playbook import entry_playbook
from asp_provision.run.request import RunRequest
from asp_provision.run.results import NoProgress
from asp_provision.service import Service
from asp_provision.site import tls
from asp_provision.spec.catalog_text import without_gates
from asp_provision.state.addresses import plan_allocations
from bench.common import CLI, ROOT, wall, write_specs


def workspace(folder: Path, n: int) -> None:
    """A workspace with N generated customers and the project's playbooks."""
    # without gates, apply takes every customer live, as the plain runs of every role do
    text = without_gates((ROOT / "catalog.yaml").read_text(encoding="utf-8"))
    (folder / "catalog.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "playbooks", folder / "playbooks")
    write_specs(folder / "specs", n)


def ansible_inputs(folder: Path) -> tuple[Path, Path, dict[str, str], dict[str, str]]:
    """Inventory and playbooks for the plain ansible-playbook runs, built as apply does."""
    service = Service(Workspace(folder))
    loaded = service.desired([])
    runner = Runner(service.workspace, service.catalog, NoProgress())
    steps = list(STEPS)
    hosts = [runner.host(d, steps, with_secrets=True) for d in loaded.desired]
    wanted = service.workspace.settings.address_request(tuple(h.customer for h in hosts))
    runner.place(hosts, plan_allocations({}, wanted)[0])
    # kept apart from .asp, which every round removes
    domains = {h.customer: str(h.document["spec"]["network"]["domain"]) for h in hosts}
    certificates = tls.issue(folder / "bench-pki", "bench", domains)
    for host in hosts:
        host.tls = certificates[host.customer]
    inventory = folder / "bench-inventory.json"
    inventory.write_text(json.dumps(build_inventory(hosts, steps)))
    request = RunRequest(
        hosts=hosts,
        steps=steps,
        playbooks=folder / "playbooks",
        log_dir=folder / "bench-logs",
        forks=service.workspace.settings.forks,
    )
    # the same plays for both: what an engineer would write by hand to apply the roles
    plain = folder / "playbooks" / "bench-site.yml"
    plain.write_text(json.dumps(entry_playbook(steps, request.playbooks), indent=1))
    ours = folder / "bench-ours.yml"
    ours.write_text(json.dumps(entry_playbook(steps, request.playbooks), indent=1))
    tmp = folder / "bench-tmp"
    tmp.mkdir(exist_ok=True)
    ours_env = {**os.environ, **_environment(request, tmp, folder / "playbooks" / "roles")}
    ours_env["ANSIBLE_FORKS"] = str(request.forks)
    default_env = {
        **os.environ,
        "ANSIBLE_LIBRARY": str(folder / "playbooks" / "library"),
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    }
    return inventory, plain, default_env, ours_env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    playbook = str(Path(sys.executable).parent / "ansible-playbook")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        workspace(folder, args.n)
        inventory, plain, default_env, ours_env = ansible_inputs(folder)
        asp = folder / ".asp"
        times: dict[str, list[float]] = {"a": [], "b": [], "c": [], "d": []}
        for _ in range(args.rounds):
            shutil.rmtree(asp, ignore_errors=True)
            times["a"].append(wall([*CLI, "-C", str(folder), "apply", "--yes"]))
            times["d"].append(wall([*CLI, "-C", str(folder), "apply", "--yes"]))
            shutil.rmtree(asp, ignore_errors=True)
            times["b"].append(_timed(playbook, inventory, plain, default_env, folder))
            shutil.rmtree(asp, ignore_errors=True)
            ours = folder / "bench-ours.yml"
            times["c"].append(_timed(playbook, inventory, ours, ours_env, folder))
        med = {k: statistics.median(v) for k, v in times.items()}
        ratio = {
            "a/b": statistics.median(a / b for a, b in zip(times["a"], times["b"], strict=True)),
            "a/c": statistics.median(a / c for a, c in zip(times["a"], times["c"], strict=True)),
            "d/a": statistics.median(d / a for d, a in zip(times["d"], times["a"], strict=True)),
        }
        print(f"{args.n} customers, {args.rounds} rounds (medians)")
        print(
            f"(a) asp-provision apply:          {med['a']:.2f}s "
            f"({med['a'] / args.n:.3f}s per customer)"
        )
        print(f"(b) ansible-playbook, defaults:   {med['b']:.2f}s")
        print(f"(c) ansible-playbook, our config: {med['c']:.2f}s")
        print(f"(d) apply again, no changes:      {med['d']:.2f}s")
        for key, target in (("a/b", 0.4), ("a/c", 1.15), ("d/a", 0.2)):
            verdict = "ok" if ratio[key] <= target else f"OVER {target}x"
            print(f"{key}: {ratio[key]:.2f}x  (target <= {target}x) {verdict}")


def _timed(playbook: str, inventory: Path, book: Path, env: dict[str, str], cwd: Path) -> float:
    import subprocess
    import time

    start = time.perf_counter()
    subprocess.run(
        [playbook, "-i", str(inventory), str(book)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
