"""Make a plan: each valid spec against what the state says was applied."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from asp_provision.plan import cost, effort
from asp_provision.plan.addressing import planned_addresses, with_address
from asp_provision.plan.diff import (
    changes,
    digest,
    recorded_fingerprint,
    secret_fields,
    step_inputs,
    unknown_secrets,
    with_fingerprints,
)
from asp_provision.plan.gates import check_gates, gates_of, with_gates
from asp_provision.plan.model import Charges, CustomerPlan, Orphan, Plan, Sizing, StepPlan
from asp_provision.plan.steps import FOLLOWS_REASON, STEPS, follows
from asp_provision.spec.catalog import Catalog
from asp_provision.spec.check import CheckedSpec
from asp_provision.spec.effective import effective_document
from asp_provision.spec.models import Subscription
from asp_provision.state.addresses import Wanted
from asp_provision.state.phases import Phase
from asp_provision.state.signoffs import SignOff
from asp_provision.state.store import CustomerState, Snapshot, StepState


@dataclass(frozen=True, slots=True)
class SecretCheck:
    """What the plan knows of a spec's secrets, to tell a rotated one.

    ``fingerprints``: each secret's dotted path -> the keyed fingerprint of its value, or
    None when the value is not at hand, with the reason in ``unknown``.
    """

    fingerprints: dict[str, str | None]
    unknown: dict[str, str]


@dataclass(frozen=True, eq=False)
class Desired:
    """A valid spec to plan for: where it came from and what it says.

    The model may be left to be built from ``data`` when first used: a plan needs only
    ``document`` and ``facts``, and apply needs it for the customers that change.
    """

    path: str
    content_hash: str
    model: Subscription | None = None
    document: dict[str, Any] | None = None  # the effective spec, when already computed
    facts: dict[str, Any] | None = None  # what the plan needs of it, when already computed
    data: Any = None  # the spec's values, to build the model from
    secrets: SecretCheck | None = None  # the fingerprints of its secrets, when looked at

    @property
    def subscription(self) -> Subscription:
        """The spec's model."""
        if self.model is None:
            object.__setattr__(self, "model", Subscription.model_validate(self.data))
        assert self.model is not None
        return self.model

    @property
    def customer(self) -> str:
        """The customer's slug."""
        return str(self.facts["customer"]) if self.facts else self.subscription.customer


def customer_facts(sub: Subscription, doc: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """What the plan needs of one spec, as plain data.

    Its identity, each step's input hash and hours by phase, the sizing, the charges, and
    what its go-live is projected from (start date, holidays, time zone).
    """
    counts = effort.units(sub)
    onboarding = sub.spec.onboarding
    return {
        "customer": sub.customer,
        "name": sub.metadata.name,
        "tier": sub.spec.tier,
        "account": sub.spec.billing.account_id,
        "application": f"{sub.spec.application.name} {sub.spec.application.version}",
        "go_live": str(onboarding.go_live) if onboarding and onboarding.go_live else None,
        "input_hashes": {name: digest(step_inputs(doc, step)) for name, step in STEPS.items()},
        "hours": {name: effort.phase_hours(sub, catalog, name, counts) for name in STEPS},
        "start_date": sub.spec.billing.start_date.isoformat(),
        "holidays": sub.spec.support.holidays if sub.spec.support else None,
        "timezone": sub.spec.support.timezone if sub.spec.support else None,
        "sizing": cost.sizing(sub, catalog).model_dump(),
        "charges": cost.charges(sub, catalog).model_dump(),
    }


def prepare(result: CheckedSpec, catalog: Catalog) -> None:
    """The facts of a valid spec, computed where it was checked: on every core.

    The hook of :func:`asp_provision.spec.batch.check_files`.
    """
    if result.subscription is not None and result.document is not None:
        result.derived["facts"] = customer_facts(result.subscription, result.document, catalog)


def make_plan(
    desired: Iterable[Desired],
    state: Snapshot,
    catalog: Catalog,
    catalog_hash: str,
    addresses: Wanted | None = None,
) -> Plan:
    """Compare each spec with the state (``--only``/``--exclude`` narrow it afterwards).

    ``addresses``: the pool new customers' subnets come from (the default settings' when
    None); the plan shows the subnet each will be given, and writes nothing.
    """
    check_gates(catalog)
    customers = []
    items = list(desired)
    seen = {item.customer for item in items}
    accounts = _accounts(items, state, seen, catalog)
    hours: dict[str, dict[str, dict[str, float]]] = {}
    for item in items:
        recorded = state.customers.get(item.customer)
        signed = state.signoffs.get(item.customer, {})
        plan = _customer_plan(item, recorded, catalog, hours, accounts, signed)
        customers.append(_with_phase_note(plan, state.phases.get(item.customer)))
    found = planned_addresses([c.customer for c in customers], state, addresses or Wanted.default())
    customers = [with_address(c, found[c.customer], hours[c.customer]) for c in customers]
    orphaned = [
        Orphan(
            customer=name,
            spec_path=recorded.spec_path,
            # steps applied at some point (a later failed update leaves them in place)
            applied_steps=[
                s for s in STEPS if s in recorded.steps and recorded.steps[s].input_hash
            ],
        )
        for name, recorded in sorted(state.customers.items())
        if name not in seen
    ]
    return Plan(
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        state_serial=state.serial,
        catalog_hash=catalog_hash,
        customers=customers,
        orphaned=orphaned,
    )


def document_and_facts(item: Desired, catalog: Catalog) -> tuple[dict[str, Any], dict[str, Any]]:
    """The effective spec and the plan's facts of ``item``.

    As computed where it was checked, or computed now.
    """
    doc = item.document
    if doc is None:
        doc = effective_document(item.subscription, catalog)
    return doc, item.facts or customer_facts(item.subscription, doc, catalog)


def _accounts(
    items: list[Desired], state: Snapshot, seen: set[str], catalog: Catalog
) -> Counter[str]:
    """Subscriptions per billing account: these specs and the others applied."""
    accounts: Counter[str] = Counter()
    for item in items:
        _, facts = document_and_facts(item, catalog)
        accounts[str(facts["account"])] += 1
    for name, recorded in state.customers.items():
        if name not in seen:
            account = recorded.spec.get("spec", {}).get("billing", {}).get("account_id")
            if isinstance(account, str):
                accounts[account] += 1
    return accounts


def _customer_plan(
    item: Desired,
    recorded: CustomerState | None,
    catalog: Catalog,
    every_hours: dict[str, dict[str, dict[str, float]]],
    accounts: Counter[str],
    signed: dict[str, SignOff],
) -> CustomerPlan:
    doc, facts = document_and_facts(item, catalog)
    charges = Charges.model_construct(**facts["charges"])
    charges = cost.with_bundle(charges, catalog, accounts[str(facts["account"])])
    hashes, hours = facts["input_hashes"], facts["hours"]
    every_hours[facts["customer"]] = hours
    steps: list[StepPlan] = []
    # secrets not looked at (status, say): the fingerprints applied stand
    fingerprints = item.secrets.fingerprints if item.secrets else unknown_secrets(doc)
    inputs = {}
    for name, step in STEPS.items():
        before = recorded.steps.get(name) if recorded else None
        inputs[name] = step_inputs(doc, step)
        if fingerprints and any(secret_fields(r) for r in step.reads):
            inputs[name] = with_fingerprints(
                inputs[name], fingerprints, before.inputs if before else None
            )
            hashes = {**hashes, name: digest(inputs[name])}
        plan = _planned(name, inputs[name], hashes[name], before, doc, steps)
        steps.append(plan.with_hours(hours[name]) if plan.runs else plan)
    steps = with_gates(steps, gates_of(catalog, facts["tier"], doc), signed)
    # a step waiting for a sign-off is still work ahead: its hours count
    steps = [s.with_hours(hours[s.step]) if s.waiting else s for s in steps]
    # built here from values already checked: validating them again would only cost time
    return CustomerPlan.model_construct(
        customer=facts["customer"],
        name=facts["name"],
        path=item.path,
        content_hash=item.content_hash,
        tier=facts["tier"],
        application=facts["application"],
        go_live=facts["go_live"],
        steps=steps,
        estimate_hours=round(sum(s.hours for s in steps), 2),
        sizing=Sizing.model_construct(**facts["sizing"]),
        charges=charges,
        notes=_secret_notes(item.secrets, recorded),
    )


def _with_phase_note(plan: CustomerPlan, phase: Phase | None) -> CustomerPlan:
    """``plan`` noting that its customer is suspended: no step of it reopens the service."""
    if phase is None or phase.phase != "suspended":
        return plan
    since = dt.datetime.fromtimestamp(phase.at, dt.UTC).date().isoformat()
    note = (
        f"suspended since {since}" + (f" ({phase.reason})" if phase.reason else "") + ": the "
        f"firewall stays closed to its users; `asp-provision resume {plan.customer}` reopens it"
    )
    return plan.model_copy(update={"notes": [*plan.notes, note]})


def _secret_notes(check: SecretCheck | None, recorded: CustomerState | None) -> list[str]:
    """Why a secret applied before could not be compared with the spec's."""
    if check is None or recorded is None:
        return []
    notes = []
    for dotted, why in sorted(check.unknown.items()):
        if any(recorded_fingerprint(s.inputs, dotted) for s in recorded.steps.values()):
            notes.append(
                f"{dotted.removeprefix('spec.')}: the secret cannot be compared with the one "
                f"applied ({why}); it is planned as unchanged"
            )
    return notes


def _step_plan(
    name: str, inputs: dict[str, object], input_hash: str, before: StepState | None
) -> StepPlan:
    if before is None:
        return StepPlan(step=name, action="create", reason="never applied", input_hash=input_hash)
    if before.input_hash is None:
        return StepPlan(
            step=name,
            action="create",
            reason=f"failed last time (run {before.run_id})",
            input_hash=input_hash,
        )
    changed = before.input_hash != input_hash
    diff = changes(before.inputs, inputs) if changed else []
    if before.status == "failed":
        return StepPlan(
            step=name,
            action="update",
            reason=f"failed last time (run {before.run_id})",
            input_hash=input_hash,
            changes=diff,
        )
    if changed:
        count = len(diff)
        return StepPlan(
            step=name,
            action="update",
            reason=f"{count} field{'s' if count != 1 else ''} changed",
            input_hash=input_hash,
            changes=diff,
        )
    return StepPlan(step=name, action="no-op", reason="unchanged", input_hash=input_hash)


def _planned(
    name: str,
    inputs: dict[str, Any],
    input_hash: str,
    before: StepState | None,
    doc: dict[str, Any],
    earlier: list[StepPlan],
) -> StepPlan:
    """One step's plan, given the plans of the steps before it."""
    step = STEPS[name]
    why_not = step.not_needed(doc)
    if why_not is not None:
        # nothing to do, so nothing to compare: no input hash
        return StepPlan(step=name, action="no-op", reason=why_not)
    watched = follows(name)
    if any(s.runs for s in earlier if s.step in watched):
        return StepPlan(
            step=name,
            action="update" if before is not None and before.input_hash else "create",
            reason=FOLLOWS_REASON,
            input_hash=input_hash,
        )
    # verify reads everything: a field no other step reads (onboarding) still counts
    return _step_plan(name, inputs, input_hash, before)
