"""The work to bring a customer live: a fixed graph of steps, each one playbook."""

from __future__ import annotations

from dataclasses import dataclass

from asp_provision.plan.dag import topological_order


@dataclass(frozen=True, slots=True)
class Step:
    """One step: the spec fields it reads and the steps it runs after."""

    name: str
    reads: tuple[str, ...]
    after: tuple[str, ...] = ()
    addresses: bool = False  # writes the customer's subnet, service or server addresses

    @property
    def playbook(self) -> str:
        """The step's playbook, relative to the workspace's playbooks folder."""
        return f"{self.name}.yml"

    @property
    def teardown(self) -> str:
        """The playbook that undoes the step."""
        return f"teardown/{self.name}.yml"


VERIFY = "verify"

_STEPS = (
    Step("network", ("spec.network",), addresses=True),
    Step("servers", ("spec.servers",), ("network",), addresses=True),
    Step("platform", ("spec.platform", "spec.application"), ("servers",)),
    Step("security", ("spec.security",)),
    # the nginx server block also carries the allowlist and proxies to the app servers
    Step(
        "application",
        (
            "spec.application",
            "spec.network.domain",
            "spec.network.allow_from",
            "spec.servers.pools",
            "spec.sla",
        ),
        ("platform", "security"),
        addresses=True,
    ),
    Step("users", ("spec.users", "spec.security.roles"), ("application",)),
    # the charge depends on the bandwidth too, so the ledger follows it
    Step("billing", ("spec.billing", "spec.tier", "metadata", "spec.network.bandwidth_mbps")),
    # scrape targets are the servers
    Step(
        "reporting",
        ("spec.reporting", "spec.sla", "spec.tier", "spec.servers.pools"),
        ("application",),
        addresses=True,
    ),
    Step(
        VERIFY,
        ("metadata", "spec"),
        (
            "network",
            "servers",
            "platform",
            "security",
            "application",
            "users",
            "billing",
            "reporting",
        ),
    ),
)

STEPS: dict[str, Step] = {
    name: next(s for s in _STEPS if s.name == name)
    for name in topological_order({s.name: s.after for s in _STEPS})
}
"""Every step, in the order they run."""

DEPENDENCIES: dict[str, tuple[str, ...]] = {s.name: s.after for s in STEPS.values()}


def dependents(name: str) -> set[str]:
    """Steps that need ``name``, directly or not."""
    out: set[str] = set()
    for step in STEPS.values():
        if name in step.after:
            out |= {step.name, *dependents(step.name)}
    return out
