"""Tickets against their targets: the support time each took, tallied by priority.

A report of every customer measures every ticket of the month, so this is the hot loop
of ``sla report --all``. The tickets come a priority at a time in order of creation;
the times of a priority are worked out in one pass (around the clock, a comprehension;
in business hours, a loop that looks the instants up in the clock's table inline), then
sorted once, which gives the counts within a target by bisection and the percentiles.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from zoneinfo import ZoneInfo

from asp_provision.sla.clock import Clock, Hours
from asp_provision.spec.catalog import PRIORITIES
from asp_provision.state.sla import TicketTimes

__all__ = ["PriorityStats", "TicketTimes", "shared_clock", "tally"]


@dataclass(slots=True)
class PriorityStats:
    """Tickets of one priority opened in the month.

    The support seconds each took to respond and to resolve, in ascending order.
    """

    priority: str
    response_target_minutes: int
    resolution_target_hours: int
    tickets: int = 0
    response_met: int = 0
    response_breached: int = 0
    response_open: int = 0
    resolution_met: int = 0
    resolution_breached: int = 0
    resolution_open: int = 0
    response_seconds: list[float] = field(default_factory=list)
    resolution_seconds: list[float] = field(default_factory=list)

    @property
    def breaches(self) -> int:
        """Targets missed: responses and resolutions."""
        return self.response_breached + self.resolution_breached

    @property
    def response_minutes(self) -> list[float]:
        """Minutes to respond, in ascending order."""
        return [x / 60 for x in self.response_seconds]

    @property
    def resolution_minutes(self) -> list[float]:
        """Minutes to resolve, in ascending order."""
        return [x / 60 for x in self.resolution_seconds]

    def response_percentile(self, share: float) -> float | None:
        """The nearest-rank percentile of the minutes to respond (0.5: the median)."""
        return _nearest_rank(self.response_seconds, share)

    def resolution_percentile(self, share: float) -> float | None:
        """The nearest-rank percentile of the minutes to resolve (0.5: the median)."""
        return _nearest_rank(self.resolution_seconds, share)


def _nearest_rank(ordered: list[float], share: float) -> float | None:
    """In minutes: dividing by 60 keeps the order, so the rank picks the same ticket."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] / 60


@functools.lru_cache(maxsize=256)
def shared_clock(zone: str, hours: Hours | None, country: str | None) -> Clock:
    """One clock per zone, hours and holiday country, shared by the customers alike.

    A clock's answers depend on nothing else; it only grows the days it has worked out.
    """
    return Clock(ZoneInfo(zone), hours, country)


_CREATED = itemgetter(0)

Times = tuple[list[float], list[float], list[float], list[float]]
"""Support seconds to respond and to resolve, and those of the tickets still open."""


def tally(
    rows: Mapping[str, Sequence[TicketTimes]],
    targets: dict[str, tuple[int, int]],
    span: tuple[float, float, float],
    clock: Clock,
    responses: list[tuple[float, str, float]] | None,
) -> list[PriorityStats]:
    """Each priority's figures for the tickets opened in [start, end), in PRIORITIES order.

    ``rows``: each priority's tickets in order of creation (any outside the month are
    left out). ``span`` is (start, end, until): a ticket still open is measured up to
    ``until``. ``responses`` (when given) gets (created, priority, response minutes) of
    each ticket.
    """
    start, end, until = span
    out = []
    for p in PRIORITIES:
        mine = rows.get(p, ())
        lo = bisect.bisect_left(mine, start, key=_CREATED)
        hi = bisect.bisect_left(mine, end, lo, key=_CREATED)
        if lo or hi < len(mine):
            mine = mine[lo:hi]
        if clock.around_the_clock:
            took, done, took_open, done_open = _wall(mine, until)
        else:
            took, done, took_open, done_open = _support(mine, start, end, until, clock)
        if responses is not None:
            responses.extend([(row[0], p, x / 60) for row, x in zip(mine, took, strict=True)])
        took.sort()
        done.sort()
        s = PriorityStats(p, targets[p][0], targets[p][1], tickets=len(took))
        limit = s.response_target_minutes * 60
        within = bisect.bisect_right(took, limit)
        s.response_open = len([x for x in took_open if x <= limit])
        s.response_met = within - s.response_open
        s.response_breached = s.tickets - within
        limit = s.resolution_target_hours * 3600
        within = bisect.bisect_right(done, limit)
        s.resolution_open = len([x for x in done_open if x <= limit])
        s.resolution_met = within - s.resolution_open
        s.resolution_breached = s.tickets - within
        s.response_seconds = took
        s.resolution_seconds = done
        out.append(s)
    return out


def _wall(rows: Sequence[TicketTimes], until: float) -> Times:
    """Every second counts."""
    took = [0.0 if (d := (until if f is None else f) - c) < 0.0 else d for c, f, _ in rows]
    done = [0.0 if (d := (until if r is None else r) - c) < 0.0 else d for c, _, r in rows]
    took_open = [x for x, row in zip(took, rows, strict=True) if row[1] is None]
    done_open = [x for x, row in zip(done, rows, strict=True) if row[2] is None]
    return took, done, took_open, done_open


def _support(
    rows: Sequence[TicketTimes], start: float, end: float, until: float, clock: Clock
) -> Times:
    """Only the clock's support hours count.

    An instant's count of support seconds is the seconds before its window, plus those of
    its window up to it. The tickets come in order of creation, so the window of each
    creation is found by walking on from the last one; an answer or a resolution is
    mostly in that window or the next, else found by bisection.
    """
    starts, ends, before, last = clock.table(start, end)
    seconds = clock.seconds
    find = bisect.bisect_right
    took: list[float] = []
    done: list[float] = []
    took_open: list[float] = []
    done_open: list[float] = []
    j = 0
    for created, first, resolved in rows:
        while starts[j + 1] <= created:
            j += 1
        stop = ends[j]
        since = before[j] + (created if created < stop else stop) - starts[j]
        answered = until if first is None else first
        if answered <= created:
            d = 0.0
        elif answered <= last:
            i = j if answered < starts[j + 1] else find(starts, answered, j + 1) - 1
            stop = ends[i]
            d = before[i] + (answered if answered < stop else stop) - starts[i] - since
        else:
            d = seconds(created, answered)
        took.append(d)
        if first is None:
            took_open.append(d)
        closed = until if resolved is None else resolved
        if closed <= created:
            d = 0.0
        elif closed <= last:
            i = j if closed < starts[j + 1] else find(starts, closed, j + 1) - 1
            stop = ends[i]
            d = before[i] + (closed if closed < stop else stop) - starts[i] - since
        else:
            d = seconds(created, closed)
        done.append(d)
        if resolved is None:
            done_open.append(d)
    return took, done, took_open, done_open
