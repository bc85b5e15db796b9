"""Edits of a catalog's YAML text that keep everything else of it as written.

Text, not a YAML round trip: loading and dumping a catalog would rewrite its comments and
quoting, and YAML 1.1 loaders read a bare ``NO`` (Norway's tax key) as ``false``.
"""

from __future__ import annotations

NO_GATES = "gates: {}\n"


def without_gates(text: str) -> str:
    """``text`` with its top-level ``gates:`` mapping replaced by an empty one.

    The mapping ends at the next line that starts at the first column (a key or a
    comment of what follows); blank lines before that line are kept. A catalog without
    ``gates:`` gets the empty mapping at its end, since a missing ``gates:`` means the
    default gates.
    """
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _gates_key(line)), None)
    if start is None:
        ending = "" if not text or text.endswith("\n") else "\n"
        return text + ending + NO_GATES
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
        end += 1
    kept = end
    while kept > start + 1 and not lines[kept - 1].strip():
        kept -= 1  # the blank lines between the mapping and what follows stay
    return "".join([*lines[:start], NO_GATES, *lines[kept:]])


def _gates_key(line: str) -> bool:
    """True for the line of the top-level key ``gates:`` (a block or a flow mapping)."""
    return line.startswith("gates:") and line[len("gates:") :].strip()[:1] in ("", "{", "#")
