"""The work to bring a customer live: a fixed graph of steps, each one playbook."""

from __future__ import annotations

from dataclasses import dataclass

from asp_provision.plan.dag import topological_order


@dataclass(frozen=True, slots=True)
class Step:
    """One step: what it reads of the effective spec, and the steps it runs after.

    ``reads`` are dotted paths into the effective document: ``metadata``, ``spec``
    (with the tier's values filled in) and ``tier`` (the tier's name and promises), so
    a step that uses a tier's promise runs again when the tier, or its promise, changes.
    Every read of a playbook and its templates must be declared here (a test checks it).
    """

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
    # the nginx server block also carries the allowlist and proxies to the app servers;
    # app.json names the customer and states its tier's support scope
    Step(
        "application",
        (
            "spec.application",
            "spec.network.domain",
            "spec.network.allow_from",
            "spec.servers.pools",
            "spec.sla",
            "metadata.name",
            "tier.name",
            "tier.support",
        ),
        ("platform", "security"),
        addresses=True,
    ),
    Step("users", ("spec.users", "spec.security.roles"), ("application",)),
    # the ledger holds the charge, which follows the bandwidth and the tier's prices
    Step(
        "billing",
        ("spec.billing", "metadata", "spec.network.bandwidth_mbps", "tier.name", "tier.prices"),
    ),
    # scrape targets are the servers
    Step(
        "reporting",
        ("spec.reporting", "spec.sla", "tier.name", "spec.servers.pools"),
        ("application",),
        addresses=True,
    ),
    Step(
        VERIFY,
        ("metadata", "spec", "tier.name", "tier.support", "tier.prices"),
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
