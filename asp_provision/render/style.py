"""Colour on a terminal only, and never under NO_COLOR."""

from __future__ import annotations

import os
from typing import TextIO

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x0A}

_CODES = {"red": "31", "yellow": "33", "green": "32", "bold": "1", "dim": "2", "cyan": "36"}


def use_colour(stream: TextIO) -> bool:
    """Whether to colour what goes to ``stream``."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Paint:
    """Wraps text in ANSI colours, or leaves it alone."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        """``text`` in ``styles`` (red, yellow, green, bold, dim, cyan)."""
        if not self.enabled or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def printable(text: str) -> str:
    """``text`` with control characters shown as hex escapes: a value never drives the terminal."""
    return text.translate(_CONTROL)
