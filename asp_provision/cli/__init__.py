"""The command line: parse, call the facade, pick a renderer, map errors to exit codes."""

from asp_provision.cli import billing, runs, sales, sla, specs  # noqa: F401  (registers the commands)
from asp_provision.cli.app import app, main

__all__ = ["app", "main"]
