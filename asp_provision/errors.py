"""The project's errors: one root, subclasses that carry data and never print."""

from __future__ import annotations

from pathlib import Path


class AspError(Exception):
    """Root of every error asp-provision raises on purpose."""

    exit_code = 1


class UserError(AspError):
    """A mistake the user can fix: printed plainly, exit 1, no traceback."""


class UsageError(UserError, ValueError):
    """Wrong command-line use (a missing path, a bad flag value): exit 2."""

    exit_code = 2


def position(path: str, line: int | None, column: int | None) -> str:
    """``path:line:column``, as far as they are known."""
    if line is None:
        return path
    return f"{path}:{line}" if column is None else f"{path}:{line}:{column}"


class SourceError(UserError):
    """A problem located in a user's file."""

    def __init__(
        self,
        message: str,
        path: Path | str,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path)
        self.line = line
        self.column = column
        self.field = field

    def __str__(self) -> str:
        field = f"{self.field}: " if self.field else ""
        return f"{position(self.path, self.line, self.column)}: {field}{self.message}"


class CatalogError(SourceError, ValueError):
    """The catalog file is unreadable or invalid."""


class ConfigError(SourceError, ValueError):
    """``asp-provision.toml`` is invalid."""


class SpecsInvalid(UserError):
    """One or more specs failed validation; ``report`` holds the details."""

    def __init__(self, report: object) -> None:
        super().__init__("specs are invalid: fix them and try again")
        self.report = report


class StateError(UserError):
    """The state database cannot be used (corrupt, newer schema, locked)."""


class LockedError(StateError):
    """Another run holds a customer's lock."""


class StalePlanError(UserError):
    """A saved plan no longer matches the state or the specs."""


class RunFailed(AspError):
    """An Ansible run finished with failures for some customers."""


class Interrupted(AspError):
    """The user interrupted a run (Ctrl-C)."""

    exit_code = 130
