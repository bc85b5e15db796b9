"""Signing off a customer's gate, or revoking a sign-off, in the state.

A signature is bound to what was accepted: the input hash the gate's step was last
applied with. It is refused while that step has not been applied (or failed last time),
since there is nothing yet to sign off.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass

from pydantic import ValidationError

from asp_provision.errors import UsageError, UserError
from asp_provision.plan.gates import gate_named
from asp_provision.spec.catalog import Catalog, Gate
from asp_provision.spec.effective import effective_document
from asp_provision.spec.models import Subscription
from asp_provision.state.signoffs import SignAction, SignOff, latest_signoffs, record
from asp_provision.state.store import StateStore
from asp_provision.state.url import StateLocation

TEXT_LIMIT = 200
"""Characters a signer's name or a note may have."""


@dataclass(frozen=True, slots=True)
class Signed:
    """What a sign-off (or its revocation) recorded, and the gate it concerns."""

    entry: SignOff
    gate: Gate
    run_id: str | None  # the run that applied the step signed off


def one_line(option: str, value: str | None) -> str | None:
    """``value`` as one line of printable text (it is shown in plans and history)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise UsageError(f"{option} is empty")
    if len(value) > TEXT_LIMIT:
        raise UsageError(f"{option} is longer than {TEXT_LIMIT} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise UsageError(f"{option} holds a control character; write it on one line")
    return value


def sign_off(
    state: StateLocation,
    timeout: float,
    catalog: Catalog,
    customer: str,
    gate_name: str,
    by: str,
    note: str | None = None,
    revoke: bool = False,
) -> Signed:
    """Record ``by``'s sign-off of ``customer``'s gate (or its revocation), append-only."""
    signer = one_line("--by", by)
    assert signer is not None
    said = one_line("--note", note)
    with StateStore(state, timeout) as store, store.transaction() as conn:
        row = conn.execute(
            "SELECT spec_json FROM customers WHERE customer = ?", (customer,)
        ).fetchone()
        if row is None:
            known = [r[0] for r in conn.execute("SELECT customer FROM customers ORDER BY 1")]
            raise UsageError(
                f"customer {customer} is not in the state {state} (applied: "
                f"{', '.join(known) or 'none'}); a gate is signed off after apply"
            )
        try:
            sub = Subscription.model_validate_json(row[0])
        except ValidationError as exc:
            raise UserError(f"the recorded spec of {customer} cannot be read: {exc}") from None
        document = effective_document(sub, catalog)
        try:
            gate = gate_named(catalog, sub.spec.tier, document, gate_name)
        except UserError as exc:
            raise UsageError(f"{customer}: {exc}") from None
        step = conn.execute(
            "SELECT status, input_hash, run_id FROM steps WHERE customer = ? AND step = ?",
            (customer, gate.signs),
        ).fetchone()
        current = latest_signoffs(conn).get(customer, {}).get(gate_name)
        action: SignAction = "revoked" if revoke else "signed"
        input_hash: str | None = None
        if revoke:
            if current is None or current.action != "signed":
                raise UserError(
                    f"{customer}: gate {gate_name} is not signed off: nothing to revoke"
                )
        elif step is None or step[1] is None:
            raise UserError(
                f"{customer}: gate {gate_name} signs off the {gate.signs} step, which has not "
                "been applied yet: run `asp-provision apply` first"
            )
        elif step[0] != "applied":
            raise UserError(
                f"{customer}: gate {gate_name} signs off the {gate.signs} step, which failed "
                f"last time (run {step[2]}): apply it again first"
            )
        else:
            input_hash = str(step[1])
        entry = SignOff(
            customer=customer,
            gate=gate_name,
            action=action,
            by=signer,
            note=said,
            step=gate.signs,
            input_hash=input_hash,
            at=time.time(),
        )
        record(conn, entry)
    return Signed(entry, gate, None if step is None else step[2])
