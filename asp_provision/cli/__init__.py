"""The command line: parse, call the facade, pick a renderer, map errors to exit codes."""

from asp_provision.cli import (  # noqa: F401  (registers the commands)
    billing,
    onboarding,
    runs,
    sales,
    site,
    sla,
    specs,
    state,
)
from asp_provision.cli.app import app, main

__all__ = ["app", "main"]
