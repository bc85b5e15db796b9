"""Support-hours clocks: how much of an interval counts against a target.

A 24x7 clock counts every minute. A business-hours clock counts only the weekly hours
(``Mon-Fri 08:00-18:00``) in the customer's time zone, skipping the public holidays of
its country. Instants are POSIX timestamps (seconds, UTC), so a DST change never adds
or loses an hour; the hours of each day are placed in the zone's local time of that day.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
from zoneinfo import ZoneInfo

Hours = tuple[frozenset[int], int, int]
"""Weekly hours: weekdays (0 = Monday), start and end minute of the day."""

Table = tuple[list[float], list[float], list[float], float]
"""Support windows' starts, ends and seconds before each, and the last instant held for."""

_DAY = dt.timedelta(days=1)


@functools.cache
def public_holidays(country: str, year: int) -> frozenset[dt.date]:
    """The public holidays of ``country`` (ISO 3166) in ``year``."""
    from asp_provision.sla import calendar_cache

    return calendar_cache.public_holidays(country, year)


class Clock:
    """Counts support time between instants for one customer."""

    def __init__(
        self, zone: ZoneInfo | str, hours: Hours | None = None, country: str | None = None
    ) -> None:
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self.hours = hours  # None: around the clock
        self.country = country
        self._first: dt.date | None = None
        self._last: dt.date | None = None
        self._lo = self._hi = 0.0  # the instants the built windows cover
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._before: list[float] = []  # support seconds before each window

    @property
    def around_the_clock(self) -> bool:
        """Whether every minute counts."""
        return self.hours is None

    def seconds(self, start: float, end: float) -> float:
        """Support seconds from ``start`` to ``end`` (0 when end is not after start)."""
        if end <= start:
            return 0.0
        if self.hours is None:
            return end - start
        if not (self._lo <= start and end <= self._hi):
            self._cover(start, end)
        return self._upto(end) - self._upto(start)

    def table(self, start: float, end: float) -> Table:
        """The support windows around [start, end), for looking many instants up inline.

        Returns the windows' starts and ends and the support seconds before each, and the
        last instant the table holds for (it holds from ``start``). The support seconds up
        to an instant ``t`` are ``before[i] + min(t, ends[i]) - starts[i]`` with ``i`` the
        last window starting at or before ``t``. The table begins with an empty window
        before every instant it holds for, so that ``i`` is always found, and ends with
        one that starts at infinity, so that ``starts[i + 1]`` always exists.
        """
        if end <= start:
            end = start
        if not (self._lo <= start and end <= self._hi):
            self._cover(start, end)
        return self._starts, self._ends, self._before, self._hi

    def minutes(self, start: dt.datetime, end: dt.datetime) -> float:
        """Support minutes between two aware datetimes."""
        return self.seconds(start.timestamp(), end.timestamp()) / 60

    def windows(self, start: float, end: float) -> list[tuple[float, float]]:
        """The parts of [start, end) inside the support hours."""
        if end <= start:
            return []
        if self.hours is None:
            return [(start, end)]
        self._cover(start, end)
        first = max(0, bisect.bisect_right(self._starts, start) - 1)
        out = []
        for i in range(first, len(self._starts)):
            a, b = self._starts[i], self._ends[i]
            if a >= end:
                break
            if b > start:
                out.append((max(a, start), min(b, end)))
        return out

    def _upto(self, t: float) -> float:
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return 0.0
        return self._before[i] + min(t, self._ends[i]) - self._starts[i]

    def _date(self, t: float) -> dt.date:
        return dt.datetime.fromtimestamp(t, self.zone).date()

    def _cover(self, start: float, end: float) -> None:
        first, last = self._date(start) - _DAY, self._date(end) + _DAY
        if self._first is not None and self._last is not None:
            if self._first <= first and last <= self._last:
                return
            first, last = min(first, self._first), max(last, self._last)
            # grow in big steps, so that many short look-ups rebuild rarely
            first = min(first, self._first - 31 * _DAY)
            last = max(last, self._last + 31 * _DAY)
        self._build(first, last)

    def _build(self, first: dt.date, last: dt.date) -> None:
        assert self.hours is not None
        days, begin, finish = self.hours
        origin = dt.datetime(first.year, first.month, first.day, tzinfo=self.zone).timestamp()
        starts: list[float] = [origin]  # the empty first window
        ends: list[float] = [origin]
        before: list[float] = [0.0]
        total = 0.0
        day = first
        while day <= last:
            if day.weekday() in days and not self._holiday(day):
                midnight = dt.datetime(day.year, day.month, day.day, tzinfo=self.zone)
                a = _at(midnight, begin)
                b = _at(midnight, finish)
                if b > a:
                    starts.append(a)
                    ends.append(b)
                    before.append(total)
                    total += b - a
            day += _DAY
        starts.append(math.inf)  # the window after the last, never reached
        ends.append(math.inf)
        before.append(total)
        self._first, self._last = first, last
        self._starts, self._ends, self._before = starts, ends, before
        # a day's margin either side: the covered instants are safely inside
        self._lo = origin + 86400
        end = last + _DAY
        self._hi = dt.datetime(end.year, end.month, end.day, tzinfo=self.zone).timestamp() - 86400

    def _holiday(self, day: dt.date) -> bool:
        return self.country is not None and day in public_holidays(self.country, day.year)


def _at(midnight: dt.datetime, minute: int) -> float:
    """The instant of a local wall-clock minute of a day (24:00 is the next midnight)."""
    if minute >= 24 * 60:
        nxt = midnight.date() + _DAY
        return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=midnight.tzinfo).timestamp()
    return midnight.replace(hour=minute // 60, minute=minute % 60).timestamp()
