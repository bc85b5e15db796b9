"""What time it is: the one place the commands ask, so that a run can be set to a day.

``ASP_NOW`` sets the present for every command: an ISO 8601 instant with its offset
(``2026-12-01T09:30:00+01:00``) or a day (``2026-12-01``, which is that day wherever the
question is asked). Tests and rehearsals of a schedule use it; unset, it is the clock's.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from asp_provision.errors import UsageError

VARIABLE = "ASP_NOW"


def _set() -> dt.datetime | dt.date | None:
    text = os.environ.get(VARIABLE, "").strip()
    if not text:
        return None
    try:
        if "T" not in text and " " not in text:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UsageError(
            f"{VARIABLE}: {text!r} is neither a day (YYYY-MM-DD) nor an instant with its "
            "offset (YYYY-MM-DDTHH:MM:SS+HH:MM)"
        )
    return moment


def now() -> dt.datetime:
    """The present, timezone-aware (UTC unless ``ASP_NOW`` says otherwise)."""
    found = _set()
    if found is None:
        return dt.datetime.now(dt.UTC)
    if isinstance(found, dt.datetime):
        return found
    return dt.datetime.combine(found, dt.time(12), dt.UTC)


def today(zone: str | None = None) -> dt.date:
    """Today's date in ``zone`` (an IANA name; UTC when None)."""
    found = _set()
    if found is not None and not isinstance(found, dt.datetime):
        return found
    moment = found or dt.datetime.now(dt.UTC)
    return moment.astimezone(ZoneInfo(zone) if zone else dt.UTC).date()
