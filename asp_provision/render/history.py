"""How `history` is printed: one line an event, oldest first; or JSON."""

from __future__ import annotations

import json
from typing import TextIO

from asp_provision.lifecycle.history import History
from asp_provision.render.style import Paint, printable, use_colour

_COLOUR = {
    "run-finished": "bold",
    "step-applied": "green",
    "step-failed": "red",
    "step-torn-down": "yellow",
}


def history_json(history: History, out: TextIO) -> None:
    """``{"format_version": 1, "customer": ..., "events": [...]}``."""
    json.dump(history.as_json(), out, indent=2, ensure_ascii=False)
    out.write("\n")


def history_text(history: History, out: TextIO) -> None:
    """``2026-12-01T08:40:10+00:00  runs  apply started  (run 20261201T...)``, a line each."""
    paint = Paint(use_colour(out))
    if not history.events:
        out.write(f"{history.customer}: nothing recorded yet (it was never applied)\n")
        return
    count = len(history.events)
    out.write(paint(f"{history.customer}: {count} event{'' if count == 1 else 's'}", "bold"))
    out.write("\n")
    width = max(len(e.source) for e in history.events)
    for event in history.events:
        when = event.at.isoformat(timespec="seconds")
        run = f"  (run {event.run_id})" if event.run_id else ""
        line = f"{when}  {event.source:<{width}}  {printable(event.summary)}"
        out.write(paint(line, *filter(None, [_COLOUR.get(event.kind)])) + paint(run, "dim"))
        out.write("\n")
