"""Commands on a customer's life after its first apply: history."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from asp_provision.cli.app import _service, app
from asp_provision.cli.specs import PlanFormat


@app.command()
def history(
    customer: Annotated[str, typer.Argument(help="The customer whose history to show.")],
    output: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = (
        PlanFormat.text
    ),
) -> None:
    """One timeline, oldest first: the customer's runs, step results and ledger events."""
    from asp_provision.render.history import history_json, history_text

    found = _service().history(customer)
    if output is PlanFormat.json:
        history_json(found, sys.stdout)
    else:
        history_text(found, sys.stdout)
