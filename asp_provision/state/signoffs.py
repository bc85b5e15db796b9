"""Sign-offs of the onboarding gates in the state: append-only, newest row wins.

A signature names who signed and is bound to the input hash the gate's step had when it
was given; a revocation is a row of its own. Nothing is ever updated or deleted (the
table's triggers refuse it), so the rows are the gate's whole history.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Literal

SignAction = Literal["signed", "revoked"]

_COLUMNS = "customer, gate, action, by, note, step, input_hash, at"


@dataclass(frozen=True, slots=True)
class SignOff:
    """One signature or revocation of a customer's gate."""

    customer: str
    gate: str
    action: SignAction
    by: str
    note: str | None
    step: str  # the step whose result was signed off
    input_hash: str | None  # what that step had been given when it was signed (None: revoked)
    at: float  # POSIX seconds

    def holds_for(self, input_hash: str | None) -> bool:
        """True when this is a signature of the step as ``input_hash`` describes it."""
        return self.action == "signed" and input_hash is not None and self.input_hash == input_hash


def _row(row: tuple[object, ...]) -> SignOff:
    customer, gate, action, by, note, step, input_hash, at = row
    return SignOff(
        customer=str(customer),
        gate=str(gate),
        action="signed" if action == "signed" else "revoked",
        by=str(by),
        note=None if note is None else str(note),
        step=str(step),
        input_hash=None if input_hash is None else str(input_hash),
        at=float(at),  # type: ignore[arg-type]
    )


def latest_signoffs(conn: sqlite3.Connection) -> dict[str, dict[str, SignOff]]:
    """Customer -> gate -> its newest signature or revocation."""
    out: dict[str, dict[str, SignOff]] = {}
    for row in conn.execute(f"SELECT {_COLUMNS} FROM signoffs ORDER BY id"):
        found = _row(row)
        out.setdefault(found.customer, {})[found.gate] = found
    return out


def history(conn: sqlite3.Connection, customer: str) -> list[SignOff]:
    """Every signature and revocation of ``customer``'s gates, oldest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM signoffs WHERE customer = ? ORDER BY id", (customer,)
    )
    return [_row(row) for row in rows]


def record(conn: sqlite3.Connection, entry: SignOff) -> None:
    """Append a signature or a revocation."""
    conn.execute(
        f"INSERT INTO signoffs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.customer,
            entry.gate,
            entry.action,
            entry.by,
            entry.note,
            entry.step,
            entry.input_hash,
            entry.at or time.time(),
        ),
    )
