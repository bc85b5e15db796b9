"""Where customers run: the local site, or the hosts of the workspace's own inventory.

With an inventory (the ``inventory`` setting, or an ``inventory/`` folder), each customer
is a host of it named after the customer, and that inventory says how to reach it
(``ansible_host``, ``ansible_user``, ``ansible_connection`` ...) and may set the
playbooks' optional variables (``asp_site``, ``asp_subnet`` ...). The run's own inventory
still supplies the spec's variables and the step groups.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from asp_provision.config import shown
from asp_provision.errors import UsageError
from asp_provision.run.inventory import plain
from asp_provision.run.overrides import Override
from asp_provision.run.runlog import ERROR_PREFIXES
from asp_provision.site.tls import TlsFiles, own_files
from asp_provision.spec.formats import control_character

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
    hosts: dict[str, dict[str, Any]]  # each host's variables
    overrides: dict[str, Override]
    tls: dict[str, TlsFiles] = field(default_factory=dict)  # certificates hosts name

    def with_tls(self, customers: Iterable[str]) -> Inventory:
        """The inventory with the certificates it names for ``customers``, checked."""
        hosts = {c: plain(self.hosts.get(c) or {}) for c in customers}
        found = own_files(f"the inventory {shown(self.path)}", hosts, customers)
        return replace(self, tls={**self.tls, **found})


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
    hostvars = listing.get("_meta", {}).get("hostvars", {})
    hosts: dict[str, dict[str, Any]] = {
        str(name): values if isinstance(values, dict) else {} for name, values in hostvars.items()
    }
    for name, entry in listing.items():
        if name != "_meta" and isinstance(entry, dict):
            for host in entry.get("hosts", []):
                hosts.setdefault(str(host), {})
    return Inventory(path, hosts, {})  # overrides: read once the run's hosts are checked


def require_hosts(path: Path, hosts: Mapping[str, object], customers: Iterable[str]) -> None:
    """Refuse a run for customers the inventory does not define: they would not be reached."""
    missing = sorted(c for c in set(customers) if c not in hosts)
    if missing:
        names = ", ".join(missing)
        raise UsageError(
            f"not a host in the inventory {shown(path)}: {names}; add each customer as a host "
            "saying how to reach it, or remove the inventory to use the local site"
        )


SITE_VARIABLES = (
    "asp_site",
    "asp_subnet",
    "asp_service_address",
    "asp_dns_nameservers",
    "asp_site_capacity_mbps",
)
"""The playbooks' variables an inventory may set; their values land in configuration lines."""

_NAMESERVER = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+")
_MAX_CAPACITY_MBPS = 10_000_000


def check_site_variables(
    path: Path, hosts: Mapping[str, Mapping[str, Any]], customers: Iterable[str]
) -> None:
    """Refuse, before anything runs, site variables a customer's host could not use.

    A line break in ``asp_service_address`` turned the firewall into "drop all input",
    and one in ``asp_site`` would write a cron job of its own. A value that is a template
    (``{{ ... }}``) is Ansible's to evaluate, and is only checked for control characters.
    """
    problems: list[str] = []
    for customer in sorted(set(customers)):
        values = hosts.get(customer) or {}
        for name in SITE_VARIABLES:
            if name in values:
                why = _site_value_problem(name, plain(values[name]))
                if why:
                    problems.append(f"host {customer}, variable {name}: {why}")
    if problems:
        raise UsageError(f"the inventory {shown(path)} cannot be used: " + "; ".join(problems))


def _site_value_problem(name: str, value: Any) -> str | None:
    texts = value if isinstance(value, list) else [value]
    for text in texts:
        if isinstance(text, str) and (why := control_character(text)):
            return f"{text!r} {why}"
    if any(isinstance(t, str) and ("{{" in t or "{%" in t) for t in texts):
        return None  # a template: Ansible evaluates it, the playbooks check the result
    if name == "asp_site_capacity_mbps":
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok or not 1 <= value <= _MAX_CAPACITY_MBPS:
            return f"{value!r} is not a whole number of Mbps from 1 to {_MAX_CAPACITY_MBPS}"
        return None
    if name == "asp_dns_nameservers":
        if not isinstance(value, list) or not value:
            return f"{value!r} is not a list of name servers"
        for item in value:
            if not isinstance(item, str) or not _NAMESERVER.fullmatch(item):
                return f"{item!r} is not a name server's fully qualified name with the final dot"
        return None
    if not isinstance(value, str):
        return f"{value!r} is not text"
    if name == "asp_site" and not value.startswith("/"):
        return f"{value!r} is not an absolute path"
    if name == "asp_service_address":
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return f"{value!r} is not an IPv4 address"
    if name == "asp_subnet":
        try:
            ipaddress.IPv4Network(value)
        except ValueError:
            return f"{value!r} is not an IPv4 network such as 10.42.7.0/24"
    return None
