"""Diagnostics: one problem found in a file, with where it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Path_ = tuple[str | int, ...]
Severity = Literal["error", "warning"]


def field_name(path: Path_) -> str:
    """Format a path the way users read it: ``spec.users[1].role``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in one file."""

    severity: str
    code: str
    path: Path_
    line: int | None
    column: int | None
    message: str

    @property
    def field(self) -> str | None:
        """The field as users write it, or None for the file as a whole."""
        return field_name(self.path) or None

    def sort_key(self) -> tuple[int, int, str]:
        """Order diagnostics by position in the file."""
        return (self.line or 0, self.column or 0, self.message)
