"""The command line: parse, call the facade, pick a renderer, map errors to exit codes.

Each module of this package registers its commands on one application when imported.
``main`` imports only the module of the command it is asked for (every module for
``--help`` or a word that is no command), so a short command does not pay for the
imports of all the others; ``load()`` gives the application with every command (for
tests and embedding).
"""

from __future__ import annotations

import importlib
import sys
from typing import NoReturn

import typer

from asp_provision.cli.app import main as _run
from asp_provision.cli.startup import command_word

MODULES = ("billing", "onboarding", "runs", "sales", "site", "sla", "specs", "state")
"""Every module of the package that registers commands."""

COMMANDS = {
    "validate": "specs",
    "schema": "specs",
    "plan": "specs",
    "apply": "runs",
    "destroy": "runs",
    "status": "runs",
    "history": "runs",
    "unlock": "runs",
    "suspend": "runs",
    "resume": "runs",
    "signoff": "onboarding",
    "init": "sales",
    "new": "sales",
    "docs": "sales",
    "site": "site",
    "usage": "billing",
    "invoice": "billing",
    "tickets": "sla",
    "outages": "sla",
    "sla": "sla",
    "state": "state",
}
"""Each command (or group of commands) and the module that registers it."""


def load(argv: list[str] | None = None) -> typer.Typer:
    """The application with the commands ``argv`` needs (None: every command)."""
    module = COMMANDS.get(command_word(argv) or "") if argv is not None else None
    for name in (module,) if module else MODULES:
        importlib.import_module(f"asp_provision.cli.{name}")
    from asp_provision.cli.app import app

    return app


def main() -> NoReturn:
    """Entry point of the ``asp-provision`` command."""
    load(sys.argv[1:])
    _run()


__all__ = ["load", "main"]
