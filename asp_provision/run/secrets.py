"""Secret references (``env:NAME``, ``file:PATH``), resolved only for the run."""

from __future__ import annotations

import os
from pathlib import Path

from asp_provision.errors import UserError


class SecretError(UserError):
    """A secret reference that cannot be resolved."""


def resolve(reference: str, where: str, base: Path) -> str:
    """The value behind ``reference``; ``where`` names the spec field for errors."""
    kind, _, name = reference.partition(":")
    if kind == "env":
        value = os.environ.get(name)
        if value is None:
            raise SecretError(f"{where}: environment variable {name} is not set")
        return value
    if kind == "file":
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = base / path
        try:
            return path.read_text("utf-8").rstrip("\n")
        except OSError as exc:
            raise SecretError(f"{where}: cannot read secret file {path}: {exc.strerror}") from None
    raise SecretError(f"{where}: not a secret reference (env:NAME or file:PATH)")


def forget_environment(references: list[str]) -> None:
    """Drop resolved ``env:`` secrets from our environment, so no child process records them."""
    for reference in references:
        kind, _, name = reference.partition(":")
        if kind == "env":
            os.environ.pop(name, None)
