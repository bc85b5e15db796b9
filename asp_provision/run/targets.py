"""Where customers run: the local site, or the hosts of the workspace's own inventory.

With an inventory (the ``inventory`` setting, or an ``inventory/`` folder), each customer
is a host of it named after the customer, and that inventory says how to reach it
(``ansible_host``, ``ansible_user``, ``ansible_connection`` ...) and may set the
playbooks' optional variables (``asp_site``, ``asp_subnet`` ...). The run's own inventory
still supplies the spec's variables and the step groups.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asp_provision.config import shown
from asp_provision.errors import UsageError
from asp_provision.run.executor import ERROR_PREFIXES
from asp_provision.run.overrides import Override, read_overrides

_TIMEOUT = 300.0


def _ansible_inventory() -> str:
    beside = Path(sys.executable).parent / "ansible-inventory"
    found = str(beside) if beside.exists() else shutil.which("ansible-inventory")
    if not found:
        raise UsageError("ansible-inventory is not installed: reinstall asp-provision")
    return found


@dataclass(frozen=True, slots=True)
class Inventory:
    """What the workspace's inventory says: its hosts, and the addresses it sets by hand."""

    path: Path
    hosts: set[str]
    overrides: dict[str, Override]


def read_inventory(path: Path) -> Inventory:
    """The inventory at ``path``; one Ansible cannot parse, or a malformed address, is an error."""
    where = f"the inventory {shown(path)}"
    env = {
        **os.environ,
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "True",
        "ANSIBLE_NOCOLOR": "True",
    }
    try:
        proc = subprocess.run(
            [_ansible_inventory(), "-i", str(path), "--list"],
            capture_output=True,
            text=True,
            env=env,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"reading {where} took over {_TIMEOUT:.0f} s") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith(ERROR_PREFIXES)]
        reason = (errors or lines or ["ansible-inventory failed"])[0]
        raise UsageError(f"cannot read {where}: {reason}")
    try:
        listing: dict[str, Any] = json.loads(proc.stdout)
    except ValueError:
        raise UsageError(f"cannot read {where}: ansible-inventory printed no inventory") from None
    hostvars: dict[str, Any] = listing.get("_meta", {}).get("hostvars", {})
    hosts: set[str] = set(hostvars)
    for name, entry in listing.items():
        if name != "_meta" and isinstance(entry, dict):
            hosts.update(entry.get("hosts", []))
    return Inventory(path, hosts, read_overrides(path, hostvars))


def require_hosts(path: Path, hosts: set[str], customers: Iterable[str]) -> None:
    """Refuse a run for customers the inventory does not define: they would not be reached."""
    missing = sorted(set(customers) - hosts)
    if missing:
        names = ", ".join(missing)
        raise UsageError(
            f"not a host in the inventory {shown(path)}: {names}; add each customer as a host "
            "saying how to reach it, or remove the inventory to use the local site"
        )
