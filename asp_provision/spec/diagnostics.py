"""Diagnostics: one problem found in a file, with where it is."""

from __future__ import annotations

from collections.abc import Sequence
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


class Tally:
    """Counts over ``self.diagnostics``, for the results that carry them."""

    __slots__ = ()
    diagnostics: Sequence[Diagnostic]

    @property
    def errors(self) -> int:
        """How many errors."""
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> int:
        """How many warnings."""
        return sum(1 for d in self.diagnostics if d.severity == "warning")

    @property
    def valid(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return self.errors == 0
