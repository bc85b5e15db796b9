"""Each customer's phase in the state: append-only, the newest row is the current phase.

``onboarding`` from its first apply, ``live`` once its go_live step is applied,
``suspended`` and ``live`` again by ``suspend`` and ``resume``, ``offboarded`` when it is
destroyed (a later apply onboards it anew). Nothing is ever updated or deleted (the
table's triggers refuse it), so the rows are the customer's whole lifecycle.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, cast

PhaseName = Literal["onboarding", "live", "suspended", "offboarded"]

PHASES: tuple[PhaseName, ...] = ("onboarding", "live", "suspended", "offboarded")
"""Every phase, in the order a customer goes through them."""

_COLUMNS = "customer, phase, reason, run_id, at"

# the provisioning steps as they were when phases came in, and the onboarding steps that
# came with the gates: what the migration to phases reads (the registry may change later)
_PROVISIONING = (
    "network",
    "servers",
    "platform",
    "security",
    "application",
    "users",
    "billing",
    "reporting",
    "verify",
)
_ONBOARDING = ("data_conversion", "acceptance", "training", "go_live")

LEGACY_REASON = "in service before the onboarding steps existed"


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase change of a customer."""

    customer: str
    phase: PhaseName
    reason: str | None  # why: the suspension's reason, or what moved it
    run_id: str | None  # the run that moved it (None: recorded outside a run)
    at: float  # POSIX seconds


def _row(row: tuple[object, ...]) -> Phase:
    customer, phase, reason, run_id, at = row
    return Phase(
        customer=str(customer),
        phase=cast(PhaseName, str(phase)),
        reason=None if reason is None else str(reason),
        run_id=None if run_id is None else str(run_id),
        at=float(cast(float, at)),
    )


def record_phase(
    conn: sqlite3.Connection,
    customer: str,
    phase: PhaseName,
    reason: str | None = None,
    run_id: str | None = None,
    at: float | None = None,
) -> Phase:
    """Append ``customer``'s move to ``phase`` (in the caller's transaction)."""
    entry = Phase(customer, phase, reason, run_id, time.time() if at is None else at)
    conn.execute(
        f"INSERT INTO phases ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
        (entry.customer, entry.phase, entry.reason, entry.run_id, entry.at),
    )
    return entry


def current_phases(conn: sqlite3.Connection) -> dict[str, Phase]:
    """Customer -> its current phase (offboarded customers included)."""
    out: dict[str, Phase] = {}
    for row in conn.execute(f"SELECT {_COLUMNS} FROM phases ORDER BY id"):
        found = _row(row)
        out[found.customer] = found
    return out


def current_phase(conn: sqlite3.Connection, customer: str) -> Phase | None:
    """``customer``'s current phase, or None when it was never applied."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM phases WHERE customer = ? ORDER BY id DESC LIMIT 1", (customer,)
    ).fetchone()
    return None if row is None else _row(row)


def history(conn: sqlite3.Connection, customer: str) -> list[Phase]:
    """Every phase change of ``customer``, oldest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM phases WHERE customer = ? ORDER BY id", (customer,)
    )
    return [_row(row) for row in rows]


def started_onboarding(conn: sqlite3.Connection, customers: Iterable[str], run_id: str) -> None:
    """Bring each customer about to be applied to its phase before the run.

    A customer never applied (or offboarded) starts ``onboarding``; one whose go_live step
    is applied but whose move to ``live`` was not recorded (a run killed between the two
    writes) is ``live``.
    """
    for customer in customers:
        found = current_phase(conn, customer)
        if found is None or found.phase == "offboarded":
            record_phase(conn, customer, "onboarding", "first apply", run_id)
        elif found.phase == "onboarding" and _went_live(conn, customer):
            record_phase(conn, customer, "live", "go_live applied", run_id)


def went_live(conn: sqlite3.Connection, customer: str, run_id: str) -> None:
    """The go_live step of ``customer`` was applied: an onboarding customer is now live."""
    found = current_phase(conn, customer)
    if found is None or found.phase in ("onboarding", "offboarded"):
        record_phase(conn, customer, "live", "go_live applied", run_id)


def _went_live(conn: sqlite3.Connection, customer: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM steps WHERE customer = ? AND step = 'go_live' AND input_hash IS NOT NULL",
        (customer,),
    ).fetchone()
    return row is not None


def backfill(conn: sqlite3.Connection) -> None:
    """The phases of the customers applied before the state kept them (the migration).

    Each starts ``onboarding`` at its first recorded step result. It is ``live`` from when
    its go_live step was applied, if it was. A customer whose provisioning steps are all
    applied and that has no record at all of an onboarding step (no row, no result of
    data_conversion, acceptance, training or go_live) was applied before those steps
    existed: it has been in service, its firewall open to its allowlist, so it is ``live``
    too (from its verify step), and keeps that firewall. Its onboarding steps are planned
    like anyone's, and its go_live waits for the gates' sign-offs, while the service stays
    open.
    """
    customers = [row[0] for row in conn.execute("SELECT customer FROM customers ORDER BY 1")]
    for customer in customers:
        steps = {
            step: (status, input_hash, updated_at)
            for step, status, input_hash, updated_at in conn.execute(
                "SELECT step, status, input_hash, updated_at FROM steps WHERE customer = ?",
                (customer,),
            )
        }
        first = conn.execute(
            "SELECT min(at) FROM step_results WHERE customer = ?", (customer,)
        ).fetchone()[0]
        if first is None:
            first = min((s[2] for s in steps.values()), default=None)
        if first is None:
            first = conn.execute(
                "SELECT updated_at FROM customers WHERE customer = ?", (customer,)
            ).fetchone()[0]
        record_phase(conn, customer, "onboarding", "first apply", at=first)
        go_live = steps.get("go_live")
        if go_live is not None and go_live[1] is not None:
            applied = conn.execute(
                "SELECT min(at) FROM step_results WHERE customer = ? AND step = 'go_live' "
                "AND result = 'applied'",
                (customer,),
            ).fetchone()[0]
            record_phase(conn, customer, "live", "go_live applied", at=applied or go_live[2])
            continue
        provisioned = all(steps.get(s, ("",))[0] == "applied" for s in _PROVISIONING)
        marks = ", ".join("?" * len(_ONBOARDING))
        onboarded = conn.execute(
            f"SELECT count(*) FROM step_results WHERE customer = ? AND step IN ({marks})",
            (customer, *_ONBOARDING),
        ).fetchone()[0]
        if provisioned and not onboarded and not any(s in steps for s in _ONBOARDING):
            record_phase(conn, customer, "live", LEGACY_REASON, at=steps["verify"][2])


def went_live_at(conn: sqlite3.Connection) -> dict[str, float]:
    """Customer -> when it went live: its first ``live`` since it last started onboarding.

    A resume is a ``live`` row too, but never the first one after onboarding started.
    """
    out: dict[str, float] = {}
    for customer, phase, at in conn.execute("SELECT customer, phase, at FROM phases ORDER BY id"):
        if phase == "onboarding":
            out.pop(customer, None)
        elif phase == "live":
            out.setdefault(customer, float(at))
    return out
