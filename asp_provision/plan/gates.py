"""Gates: a step held back until the customer signs off the result of another.

The catalog lists the gates (``gates:``); a gate applies to a customer when its tier is
among the gate's tiers (if it names any) and the step it signs off runs for the spec. A
signature counts while the signed step's inputs are what they were when it was given:
once they change, the gate is open again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asp_provision.errors import UserError
from asp_provision.plan.model import GateState, StepPlan
from asp_provision.plan.steps import STEPS
from asp_provision.spec.catalog import Catalog, Gate
from asp_provision.state.signoffs import SignOff


def check_gates(catalog: Catalog) -> None:
    """Refuse a catalog whose gates name steps that do not exist, or run out of order."""
    order = list(STEPS)
    for name, gate in catalog.gates.items():
        for field, step in (("signs", gate.signs), ("before", gate.before)):
            if step not in STEPS:
                raise UserError(
                    f"catalog: gates.{name}.{field}: no step {step!r} (steps: {', '.join(order)})"
                )
        if order.index(gate.signs) >= order.index(gate.before):
            raise UserError(
                f"catalog: gates.{name}: {gate.signs} runs after {gate.before}, so it cannot be "
                f"signed off before {gate.before} runs"
            )


def gates_of(catalog: Catalog, tier: str, document: Mapping[str, Any]) -> dict[str, Gate]:
    """The gates that apply to one customer (``document``: its effective spec)."""
    return {
        name: gate
        for name, gate in catalog.gates.items()
        if (gate.tiers is None or tier in gate.tiers)
        and STEPS[gate.signs].not_needed(document) is None
    }


def gate_named(catalog: Catalog, tier: str, document: Mapping[str, Any], name: str) -> Gate:
    """The gate ``name`` of one customer; a clear error when it has no such gate."""
    found = gates_of(catalog, tier, document)
    if name in found:
        return found[name]
    if name in catalog.gates:
        gate = catalog.gates[name]
        why = (
            f"its tier {tier} is not among the gate's tiers ({', '.join(gate.tiers)})"
            if gate.tiers is not None and tier not in gate.tiers
            else STEPS[gate.signs].not_needed(document)
        )
        raise UserError(f"gate {name} does not apply to this customer: {why}")
    known = ", ".join(found) or "none"
    raise UserError(f"no gate {name!r} in the catalog (this customer's gates: {known})")


def with_gates(
    steps: list[StepPlan],
    gates: Mapping[str, Gate],
    signed: Mapping[str, SignOff],
) -> list[StepPlan]:
    """``steps`` with each gated step that would run marked with its gates' state.

    ``signed``: the customer's newest signature or revocation of each gate.
    """
    hashes = {s.step: s.input_hash for s in steps}
    out = []
    for step in steps:
        guarding = [name for name, gate in gates.items() if gate.before == step.step]
        if step.action == "no-op" or not guarding:
            out.append(step)
            continue
        missing = [
            name
            for name in guarding
            if not (name in signed and signed[name].holds_for(hashes.get(gates[name].signs)))
        ]
        state = (
            GateState(name=missing[0], signed=False, also=missing[1:])
            if missing
            else GateState(name=guarding[0], signed=True)
        )
        out.append(step.model_copy(update={"gate": state}))
    return out
