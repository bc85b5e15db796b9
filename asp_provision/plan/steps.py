"""The work to bring a customer live: a fixed graph of steps, each one Ansible role.

A step is a row here and a folder, ``playbooks/roles/<step>/``: ``tasks/main.yml`` applies
it, ``tasks/teardown.yml`` undoes it, ``tasks/verify.yml`` holds its go-live checks, and
``templates/`` what it renders. Nothing else lists the steps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from asp_provision.plan.dag import topological_order


@dataclass(frozen=True, slots=True)
class Step:
    """One step: what it reads of the effective spec, and the steps it runs after.

    ``reads`` are dotted paths into the effective document: ``metadata``, ``spec``
    (with the tier's values filled in) and ``tier`` (the tier's name and promises), so
    a step that uses a tier's promise runs again when the tier, or its promise, changes.
    Every read of its role and templates must be declared here (a test checks it).
    """

    name: str
    reads: tuple[str, ...]
    after: tuple[str, ...] = ()
    addresses: bool = False  # writes the customer's subnet, service or server addresses
    verifies: bool = False  # runs the checks (tasks/verify.yml) of the steps it runs after
    phase: str = "provisioning"  # the onboarding phase its hours count towards (PHASES)
    # runs whenever a step it runs after (directly or not) runs, like a test after a change
    follows_changes: bool = False
    # whether the step is part of a customer's onboarding at all (None: always); a step
    # that is not stays out of the run and is planned as unchanged, saying why
    needs: Callable[[Mapping[str, Any]], str | None] | None = None

    def not_needed(self, document: Mapping[str, Any]) -> str | None:
        """Why the step has nothing to do for the effective spec ``document`` (None: it has)."""
        return None if self.needs is None else self.needs(document)

    @property
    def role(self) -> str:
        """The step's Ansible role, a folder of the playbooks' ``roles/``."""
        return self.name

    @property
    def group(self) -> str:
        """The inventory group of the customers that run the step in a run."""
        return GROUP_PREFIX + self.name

    @property
    def apply_tasks(self) -> PurePosixPath:
        """The tasks that apply the step, relative to the playbooks folder."""
        return self.tasks_file(APPLY)

    @property
    def teardown_tasks(self) -> PurePosixPath:
        """The tasks that undo the step."""
        return self.tasks_file(TEARDOWN)

    @property
    def check_tasks(self) -> PurePosixPath:
        """The step's go-live checks, run by the step that verifies it."""
        return self.tasks_file(CHECKS)

    def tasks_file(self, which: str) -> PurePosixPath:
        """One task file of the step's role: ``tasks/<which>.yml``."""
        return ROLES / self.role / "tasks" / f"{which}.yml"


VERIFY = "verify"
GO_LIVE = "go_live"

ROLES = PurePosixPath("roles")
"""Where the steps' roles are, in the playbooks folder."""

SITE_VARS = PurePosixPath("vars/site.yml")
"""Values every step's role may use (the ``site_*`` variables), in the playbooks folder."""

APPLY, TEARDOWN, CHECKS = "main", "teardown", "verify"
"""The task files of a step's role (``tasks/<name>.yml``)."""

GROUP_PREFIX = "asp_"

FOLLOWS_REASON = "runs after every change"
"""Why a step that follows changes (``follows_changes``) runs."""

PHASES = ("provisioning", "data conversion", "acceptance", "training", "go-live")
"""The phases of onboarding, in order: the estimate groups each step's hours by its phase."""

NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
"""A step's name: an Ansible group and role name once prefixed (lowercase, underscores)."""


def _onboarding(document: Mapping[str, Any], part: str) -> Any:
    spec = document.get("spec")
    onboarding = spec.get("onboarding") if isinstance(spec, Mapping) else None
    return onboarding.get(part) if isinstance(onboarding, Mapping) else None


def _converts(document: Mapping[str, Any]) -> str | None:
    if _onboarding(document, "data_conversion") is None:
        return "no data conversion in the spec"
    return None


def _trains(document: Mapping[str, Any]) -> str | None:
    if _onboarding(document, "training") is None:
        return "no training in the spec"
    return None


_STEPS = (
    Step("network", ("spec.network",), addresses=True),
    Step("servers", ("spec.servers",), ("network",), addresses=True),
    Step("platform", ("spec.platform", "spec.application"), ("servers",)),
    Step("security", ("spec.security",)),
    # the nginx server block also carries the allowlist and proxies to the app servers,
    # and sends HSTS when the tier says so; app.json names the customer and states its
    # tier's support scope
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
            "tier.hsts",
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
        ("metadata", "spec", "tier.name", "tier.support", "tier.prices", "tier.hsts"),
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
        verifies=True,
        follows_changes=True,
    ),
    # the records of the source file (its SHA-256 is among the conversion's values, so a
    # changed file is an update) are loaded into the application's database
    Step(
        "data_conversion",
        ("spec.onboarding.data_conversion",),
        (VERIFY,),
        phase="data conversion",
        needs=_converts,
    ),
    # the service as its users see it: run again after any change to what it tests
    Step(
        "acceptance",
        (
            "spec.users",
            "spec.network.domain",
            "spec.onboarding.data_conversion",
            "spec.platform.storage.backups.schedule",
            "spec.reporting.schedule",
            "spec.sla",
        ),
        (VERIFY, "data_conversion"),
        phase="acceptance",
        follows_changes=True,
    ),
    Step(
        "training",
        ("spec.onboarding.training", "metadata.name", "spec.support.service_manager"),
        ("acceptance",),
        phase="training",
        needs=_trains,
    ),
    # the cutover: the firewall opens to the allowlist, the domain is published, billing
    # starts
    Step(
        GO_LIVE,
        (
            "spec.network.allow_from",
            "spec.network.domain",
            "spec.onboarding.go_live",
            "spec.billing.account_id",
        ),
        ("acceptance", "data_conversion", "training"),
        addresses=True,
        phase="go-live",
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


def follows(name: str) -> set[str]:
    """The steps whose running makes ``name`` run too (for a step that follows changes)."""
    if not STEPS[name].follows_changes:
        return set()
    out: set[str] = set()
    todo = list(STEPS[name].after)
    while todo:
        step = todo.pop()
        if step not in out:
            out.add(step)
            todo.extend(STEPS[step].after)
    return out


def checked_by(name: str) -> tuple[Step, ...]:
    """The steps whose checks ``name`` runs: its own first, then those it runs after."""
    step = STEPS[name]
    if not step.verifies:
        return ()
    return (step, *(s for s in STEPS.values() if s.name in step.after))
