"""Public holidays kept between runs: the same dates as the library, and only a file of
the user's own is believed."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import holidays
import pytest

from asp_provision.sla import calendar_cache


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calendar_cache.forget()
    yield tmp_path / "cache"
    calendar_cache.forget()


def _file(cache: Path) -> Path:
    [path] = (cache / "asp-provision").glob("holidays-*.json")
    return path


def test_the_kept_dates_are_the_library_s(_own_cache: Path) -> None:
    want = frozenset(holidays.country_holidays("US", years=2026))
    assert calendar_cache.public_holidays("US", 2026) == want
    kept = json.loads(_file(_own_cache).read_text())
    assert kept["US/2026"] == sorted(d.isoformat() for d in want)
    calendar_cache.forget()  # as the next run: read from the file
    assert calendar_cache.public_holidays("US", 2026) == want
    assert calendar_cache.public_holidays("DE", 2026) == frozenset(
        holidays.country_holidays("DE", years=2026)
    )
    assert set(json.loads(_file(_own_cache).read_text())) == {"US/2026", "DE/2026"}


def test_a_file_others_may_write_is_not_believed(_own_cache: Path) -> None:
    calendar_cache.public_holidays("US", 2026)
    path = _file(_own_cache)
    path.write_text(json.dumps({"US/2026": ["2026-03-03"]}))
    calendar_cache.forget()
    assert calendar_cache.public_holidays("US", 2026) == {dt.date(2026, 3, 3)}  # the user's own
    os.chmod(path, 0o666)
    calendar_cache.forget()
    assert dt.date(2026, 12, 25) in calendar_cache.public_holidays("US", 2026)


def test_a_damaged_file_is_a_miss(_own_cache: Path) -> None:
    calendar_cache.public_holidays("US", 2026)
    path = _file(_own_cache)
    path.write_text('{"US/2026": ["not a day"]')
    calendar_cache.forget()
    assert dt.date(2026, 7, 3) in calendar_cache.public_holidays("US", 2026)  # observed
