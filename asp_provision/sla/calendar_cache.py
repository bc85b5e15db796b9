"""Public holidays kept between runs, so that a report need not load the calendars.

Loading the ``holidays`` library builds the calendar of every country it knows, which
costs a report of business-hours customers about as much as measuring a hundred thousand
tickets. The holidays of each country and year once worked out are kept in the user's
cache folder (beside the validated catalogs) in one JSON file named by the library's
version, so another version starts a new file and an entry is never stale.

The file is read only when its folder and itself belong to the user and no one else may
write them; anything else (missing, foreign, damaged) is a miss, and the library answers.
Writing is best effort.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import stat
from pathlib import Path
from typing import Any

from asp_provision.spec import catalog_cache

_memory: dict[str, Any] = {}


def public_holidays(country: str, year: int) -> frozenset[dt.date]:
    """The public holidays of ``country`` (ISO 3166) in ``year``."""
    path = _entry()
    known = _known(path)
    key = f"{country}/{year}"
    days = known.get(key)
    if isinstance(days, list):
        try:
            return frozenset(dt.date.fromisoformat(day) for day in days)
        except (TypeError, ValueError):
            pass  # a damaged entry: worked out again
    import holidays

    found = frozenset(holidays.country_holidays(country, years=year))
    if path is not None:
        known[key] = sorted(day.isoformat() for day in found)
        _store(path, known)
    return found


def _entry() -> Path | None:
    """The cache file for the installed version of the library; None when not found."""
    if "entry" not in _memory:
        entry = None
        try:
            spec = importlib.util.find_spec("holidays")
            if spec is not None and spec.origin is not None:
                version = (Path(spec.origin).parent / "version.py").read_bytes()
                digest = hashlib.sha256(version).hexdigest()[:32]
                entry = catalog_cache.folder() / f"holidays-{digest}.json"
        except (ImportError, OSError, ValueError):
            entry = None
        _memory["entry"] = entry
    found: Path | None = _memory["entry"]
    return found


def _known(path: Path | None) -> dict[str, Any]:
    """What the cache file holds, read once per process."""
    if "known" not in _memory:
        known: dict[str, Any] = {}
        if path is not None:
            try:
                if catalog_cache._owned(path.parent, stat.S_IFDIR) and catalog_cache._owned(
                    path, stat.S_IFREG
                ):
                    data = json.loads(path.read_text("utf-8"))
                    known = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                known = {}
        _memory["known"] = known
    out: dict[str, Any] = _memory["known"]
    return out


def _store(path: Path, known: dict[str, Any]) -> None:
    catalog_cache.write_private(path, json.dumps(known, sort_keys=True).encode("utf-8"))


def forget() -> None:
    """Drop what this process has read (the file is read again on the next look-up)."""
    _memory.clear()
