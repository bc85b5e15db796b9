"""State commands: state copy, between SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from asp_provision.cli.app import app

state_app = typer.Typer(
    help="The state database: copy it between SQLite and PostgreSQL.", no_args_is_help=True
)
app.add_typer(state_app, name="state")


@state_app.command("copy")
def copy(
    source: Annotated[
        str, typer.Argument(metavar="FROM", help="A state: a SQLite file or a postgresql:// URL.")
    ],
    destination: Annotated[
        str, typer.Argument(metavar="TO", help="Where to copy it: a file or a postgresql:// URL.")
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a state the destination already holds.")
    ] = False,
) -> None:
    """Copy a state, every table, and check that both sides hold the same number of rows."""
    from asp_provision.state.copy import copy_state, parse

    copied = copy_state(parse(source), parse(destination), replace)
    width = max(len(t) for t in copied.counts)
    for table, count in copied.counts.items():
        sys.stdout.write(f"{table:<{width}}  {count:>8}\n")
    total = sum(copied.counts.values())
    sys.stderr.write(
        f"Copied {copied.source} to {copied.destination}: {len(copied.counts)} tables, "
        f"{total} rows, the same count in each table on both sides.\n"
    )
