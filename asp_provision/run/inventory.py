"""The inventory of one run: customers as hosts, their spec as variables, marked unsafe.

ansible-core evaluates Jinja found in inventory variables; every string of the run's own
(from a spec, the catalog, or a path such as the site folder, which may hold ``{{``) is
therefore wrapped as ``{"__ansible_unsafe": ...}``, which Ansible reads as data and never
templates.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asp_provision.errors import UserError
from asp_provision.plan.addressing import Network
from asp_provision.plan.derived import derive
from asp_provision.plan.model import Charges
from asp_provision.plan.steps import STEPS
from asp_provision.site.tls import TlsFiles

RESERVED_KEYS = ("__ansible_unsafe", "__ansible_vault")
"""Mapping keys that Ansible's JSON reader takes as markers, whatever the rest of the mapping."""


def unsafe(value: Any) -> Any:
    """``value`` with every string (keys aside) marked as data for Ansible.

    A mapping with a key Ansible reads as a marker cannot be written as data: it would
    break the reading of the whole inventory, so it is refused (validate refuses it
    first, in a spec's labels).
    """
    if isinstance(value, str):
        return {"__ansible_unsafe": value}
    if isinstance(value, dict):
        for key in value:
            if str(key).startswith(RESERVED_KEYS):
                raise UserError(
                    f"the name {key!r} is reserved by Ansible and cannot reach the playbooks; "
                    "rename it"
                )
        return {k: unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unsafe(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """``value`` with Ansible's data markers (``{"__ansible_unsafe": ...}``) taken off."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@dataclass(slots=True)
class Host:
    """One customer in the run."""

    customer: str
    site: Path
    document: dict[str, Any]  # the effective spec, secrets as "(secret)", its tier under "tier"
    charges: Charges
    steps: list[str]
    secrets: dict[str, str] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)  # keyed, of the same secrets
    network: Network | None = None  # its subnet, service and server addresses
    zones: tuple[str, ...] = ("zone-a",)  # the site's placement zones, the default first
    tls: TlsFiles | None = None  # where its certificate and key are (never their text)
    live: bool = False  # its go_live step was applied: the firewall admits its allowlist
    suspended: bool = False  # suspended: the firewall admits only the staging networks
    staging: tuple[str, ...] = ()  # the catalog's staging networks
    workspace: Path | None = None  # where its data conversion's source file is
    served: dict[str, Any] | None = None  # the served local site: port, trust, refresh argv
    python: str | None = None  # the interpreter of the host it runs on; None: this one

    def variables(self, local: bool = True) -> dict[str, Any]:
        """The host's variables, as the playbooks expect them.

        ``local``: the customer runs on the local site, through Ansible's local connection;
        otherwise the workspace's inventory says how to reach it.
        """
        connection = (
            {
                "ansible_connection": "local",
                "ansible_python_interpreter": unsafe(self.python or sys.executable),
            }
            if local
            else {}
        )
        out: dict[str, Any] = {
            **connection,
            "asp_customer": unsafe(self.customer),
            "asp_site": unsafe(str(self.site)),
            "asp_metadata": unsafe(self.document["metadata"]),
            "asp_spec": unsafe(self.document["spec"]),
            "asp_tier": unsafe(self.document["tier"]),
            "asp_charges": unsafe(self.charges.model_dump(mode="json")),
            "asp_run_steps": unsafe(list(self.steps)),
        }
        if self.network is not None:
            out["asp_network"] = unsafe(self.network.variables())
            derived = derive(
                self.customer,
                self.document,
                self.network,
                self.zones,
                live=self.live,
                suspended=self.suspended,
                staging=self.staging,
                workspace=self.workspace,
            )
            out["asp_derived"] = unsafe(derived)
        if self.tls is not None:
            out["asp_tls"] = unsafe(self.tls.variables())
        if self.served is not None:
            out["asp_served"] = unsafe(self.served)
        if self.secrets:
            out["asp_secrets"] = unsafe(self.secrets)
            out["asp_secret_fingerprints"] = unsafe(self.fingerprints)
        return out


def build_inventory(hosts: list[Host], steps: list[str], local: bool = True) -> dict[str, Any]:
    """The inventory: every customer under ``all``, and one group per step it runs."""
    children: dict[str, Any] = {
        STEPS[step].group: {"hosts": {h.customer: {} for h in hosts if step in h.steps}}
        for step in steps
    }
    return {
        "all": {
            "hosts": {h.customer: h.variables(local) for h in hosts},
            "children": children,
        }
    }
