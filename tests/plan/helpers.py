"""Build a real state database from a short description of what was applied.

A state description (``state.yaml`` in a golden case) looks like this::

    serial_writes: 2          # optional: write transactions made before these records
    customers:
      acme-corp:
        applied: applied/acme-corp.yaml   # the spec whose inputs were applied
        spec_path: specs/acme-corp.yaml   # optional; default specs/<customer>.yaml
        steps: {network: applied, users: failed, billing: [applied, failed]}

``steps`` maps a step to its outcome, or to a list of outcomes recorded in that order;
outcome N of a step is recorded by run ``rN``. ``steps: all`` means every step applied,
``steps: all but go_live`` every step but that one. Steps not listed were never applied.
``signoffs: {GATE: NAME}`` records NAME's sign-off of each gate, bound to its step as
recorded (``applied`` may then name a spec that changed since). The inputs recorded for
an applied step are those the planner itself computes from the applied spec, so an
unchanged spec plans as no-op.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from asp_provision.plan.diff import digest, step_inputs
from asp_provision.plan.steps import STEPS
from asp_provision.spec.catalog import Catalog, load_catalog
from asp_provision.spec.check import check_file
from asp_provision.spec.effective import effective_document
from asp_provision.spec.models import Subscription
from asp_provision.state.addresses import legacy_allocation, record_allocations
from asp_provision.state.signoffs import SignOff, record
from asp_provision.state.store import StateStore

OUTCOMES = ("applied", "failed")


def load_spec(path: Path, catalog: Catalog | None = None) -> Subscription:
    """A spec file as the planner sees it; it must be valid."""
    result = check_file(path, catalog or load_catalog())
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert result.subscription is not None and not errors, f"{path} is invalid: {errors}"
    return result.subscription


def record_applied(
    store: StateStore,
    sub: Subscription,
    steps: Mapping[str, str | Iterable[str]] | str,
    *,
    catalog: Catalog | None = None,
    spec_path: str | None = None,
) -> None:
    """Record ``sub`` as applied, then each step's outcomes in order."""
    catalog = catalog or load_catalog()
    doc = effective_document(sub, catalog)
    customer = sub.customer
    # as apply records it: the spec as written (the effective one is not a spec)
    spec = sub.model_dump(mode="json", by_alias=True, exclude_none=True)
    store.record_spec(customer, spec, spec_path or f"specs/{customer}.yaml")
    if customer not in store.snapshot().addresses:
        # as the migration records it for a customer applied before allocations (the
        # serial is left alone, as by a migration)
        record_allocations(store.connection, [legacy_allocation(customer)])
    if isinstance(steps, str) and steps.startswith("all"):
        left_out = steps.removeprefix("all").removeprefix(" but ").split()
        steps = {name: "applied" for name in STEPS if name not in left_out}
    assert isinstance(steps, Mapping), f"steps of {customer}: 'all' or a mapping"
    for name, outcomes in steps.items():
        assert name in STEPS, f"{customer}: unknown step {name!r}"
        sequence = [outcomes] if isinstance(outcomes, str) else list(outcomes)
        for number, outcome in enumerate(sequence, start=1):
            assert outcome in OUTCOMES, f"{customer}.{name}: outcome {outcome!r}"
            run_id = f"r{number}"
            if outcome == "applied":
                inputs = step_inputs(doc, STEPS[name])
                store.record_step(
                    customer, name, run_id, succeeded=True, input_hash=digest(inputs), inputs=inputs
                )
            else:
                store.record_step(customer, name, run_id, succeeded=False, message=f"{name} failed")


def build_state(description: Mapping[str, Any], base: Path, state_path: Path) -> None:
    """Write the state ``description`` says to ``state_path``; paths are relative to ``base``."""
    unknown = set(description) - {"serial_writes", "customers"}
    assert not unknown, f"unknown keys in the state description: {sorted(unknown)}"
    with StateStore(state_path) as store:
        for _ in range(int(description.get("serial_writes", 0))):
            with store.transaction():
                pass
        for customer, entry in (description.get("customers") or {}).items():
            unknown = set(entry) - {"applied", "spec_path", "steps", "signoffs"}
            assert not unknown, f"{customer}: unknown keys {sorted(unknown)}"
            sub = load_spec(base / entry["applied"])
            assert sub.customer == customer, f"{entry['applied']} is not {customer}"
            record_applied(store, sub, entry.get("steps", {}), spec_path=entry.get("spec_path"))
            for gate, by in (entry.get("signoffs") or {}).items():
                sign(store, customer, gate, by)


def sign(store: StateStore, customer: str, gate: str, by: str) -> None:
    """Record ``by``'s sign-off of ``gate``, bound to its step as the state holds it."""
    step = load_catalog().gates[gate].signs
    recorded = store.snapshot().customers[customer].steps[step]
    with store.transaction() as conn:
        record(conn, SignOff(customer, gate, "signed", by, None, step, recorded.input_hash, 1.0))


def read_state_file(path: Path) -> dict[str, Any]:
    """A ``state.yaml`` as data."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    assert isinstance(data, dict), f"{path}: a mapping is expected"
    return data
