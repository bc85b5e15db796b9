"""The inventory of one run: customers as hosts, their spec as variables, marked unsafe.

ansible-core evaluates Jinja found in inventory variables; every string that comes from
a spec is therefore wrapped as ``{"__ansible_unsafe": ...}``, which Ansible reads as
data and never templates.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asp_provision.plan.addressing import Network
from asp_provision.plan.model import Charges
from asp_provision.spec.catalog import Tier

GROUP_PREFIX = "asp_"


def unsafe(value: Any) -> Any:
    """``value`` with every string (keys aside) marked as data for Ansible."""
    if isinstance(value, str):
        return {"__ansible_unsafe": value}
    if isinstance(value, dict):
        return {k: unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unsafe(v) for v in value]
    return value


def group(step: str) -> str:
    """The inventory group of the customers that run ``step``."""
    return f"{GROUP_PREFIX}{step}"


@dataclass(slots=True)
class Host:
    """One customer in the run."""

    customer: str
    site: Path
    document: dict[str, Any]  # the effective spec, secrets as "(secret)"
    tier_name: str
    tier: Tier
    charges: Charges
    steps: list[str]
    secrets: dict[str, str] = field(default_factory=dict)
    network: Network | None = None  # its subnet, service and server addresses

    def variables(self, local: bool = True) -> dict[str, Any]:
        """The host's variables, as the playbooks expect them.

        ``local``: the customer runs on the local site, through Ansible's local connection;
        otherwise the workspace's inventory says how to reach it.
        """
        tier = {"name": self.tier_name, **self.tier.model_dump(mode="json")}
        connection = (
            {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
            if local
            else {}
        )
        out: dict[str, Any] = {
            **connection,
            "asp_customer": self.customer,
            "asp_site": str(self.site),
            "asp_metadata": unsafe(self.document["metadata"]),
            "asp_spec": unsafe(self.document["spec"]),
            "asp_tier": unsafe(tier),
            "asp_charges": self.charges.model_dump(mode="json"),
        }
        if self.network is not None:
            out["asp_network"] = unsafe(self.network.variables())
        if self.secrets:
            out["asp_secrets"] = unsafe(self.secrets)
        return out


def build_inventory(hosts: list[Host], steps: list[str], local: bool = True) -> dict[str, Any]:
    """The inventory: every customer under ``all``, and one group per step it runs."""
    children: dict[str, Any] = {
        group(step): {"hosts": {h.customer: {} for h in hosts if step in h.steps}} for step in steps
    }
    return {
        "all": {
            "hosts": {h.customer: h.variables(local) for h in hosts},
            "children": children,
        }
    }
