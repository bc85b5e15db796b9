"""Time zones and public-holiday countries a spec may name, checked without slow imports.

The country codes come from the ``holidays`` library's registry, read as source text:
importing the library costs more than checking a spec (it reads package metadata), so
``validate`` leaves that to the commands that need the holidays themselves.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path


def check_timezone(name: str) -> str:
    """``name`` when it is an IANA time zone; else ValueError."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"'{name}' is not an IANA time zone such as Europe/Stockholm or America/New_York"
        ) from None
    return name


_ENTRY = re.compile(r'\(\s*"\w+",\s*"([A-Z]{2})",')


@functools.cache
def holiday_countries() -> frozenset[str]:
    """ISO 3166 alpha-2 codes of the countries whose public holidays are known."""
    try:
        found = importlib.util.find_spec("holidays")
        if found is None or found.origin is None:
            raise LookupError
        text = (Path(found.origin).parent / "registry.py").read_text("utf-8")
        start = text.index("\nCOUNTRIES")
        codes = frozenset(_ENTRY.findall(text, start, text.index("\n}", start)))
        if len(codes) < 100:  # a registry laid out differently: ask the library
            raise LookupError
        return codes
    except (LookupError, OSError, ValueError):
        import holidays

        return frozenset(holidays.list_supported_countries())
