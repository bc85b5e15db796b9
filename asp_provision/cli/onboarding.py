"""Commands of the onboarding journey: signoff."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer

from asp_provision.cli.app import _service, app
from asp_provision.render.style import printable


@app.command()
def signoff(
    customer: Annotated[str, typer.Argument(help="The customer who signs off.")],
    gate: Annotated[str, typer.Argument(help="The gate signed off (the catalog's gates).")],
    by: Annotated[str, typer.Option("--by", help="Who signs off, as they sign.")],
    note: Annotated[
        str | None, typer.Option("--note", help="What was accepted, or why it is revoked.")
    ] = None,
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Revoke the gate's sign-off (recorded, not erased).")
    ] = False,
) -> None:
    """Record a customer's sign-off of a gate, bound to the step result it accepts."""
    signed = _service().sign_off(customer, gate, by, note, revoke)
    entry = signed.entry
    when = dt.datetime.fromtimestamp(entry.at, dt.UTC).isoformat(timespec="seconds")
    who = printable(entry.by)
    if revoke:
        sys.stderr.write(
            f"{customer}: the sign-off of {gate} was revoked by {who} at {when}; "
            f"{signed.gate.before} waits for it again.\n"
        )
        return
    run = f" in run {signed.run_id}" if signed.run_id else ""
    sys.stderr.write(
        f"{customer}: {gate} signed off by {who} at {when}, for the {entry.step} step as "
        f"applied{run}; {signed.gate.before} no longer waits for it (until {entry.step}'s "
        "inputs change).\n"
    )
