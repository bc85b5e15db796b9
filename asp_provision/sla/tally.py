"""Tickets against their targets: the support time each took, tallied by priority.

A report of every customer measures every ticket of the month, so this is the hot loop
of ``sla report --all``: each ticket costs a few list appends, and the counting and
the conversions are done a priority at a time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from asp_provision.sla.clock import Clock, Hours
from asp_provision.spec.catalog import PRIORITIES

TicketTimes = tuple[str, str, float, float | None, float | None]
"""customer, priority, created, first_response, resolved (POSIX seconds)."""


@dataclass(slots=True)
class PriorityStats:
    """Tickets of one priority opened in the month."""

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
    response_minutes: list[float] = field(default_factory=list)
    resolution_minutes: list[float] = field(default_factory=list)

    @property
    def breaches(self) -> int:
        """Targets missed: responses and resolutions."""
        return self.response_breached + self.resolution_breached


@functools.lru_cache(maxsize=256)
def shared_clock(zone: str, hours: Hours | None, country: str | None) -> Clock:
    """One clock per zone, hours and holiday country, shared by the customers alike.

    A clock's answers depend on nothing else; it only grows the days it has worked out.
    """
    return Clock(ZoneInfo(zone), hours, country)


class _Times:
    """Support seconds of one priority's tickets: to respond and to resolve."""

    __slots__ = ("created", "done", "done_open", "took", "took_open")

    def __init__(self) -> None:
        self.created: list[float] = []
        self.took: list[float] = []
        self.done: list[float] = []
        self.took_open: list[float] = []  # of tickets not yet answered
        self.done_open: list[float] = []  # of tickets not yet resolved


def tally(
    rows: Iterable[TicketTimes],
    targets: dict[str, tuple[int, int]],
    span: tuple[float, float, float],
    clock: Clock,
    responses: list[tuple[float, str, float]] | None,
) -> list[PriorityStats]:
    """Each priority's figures for the tickets opened in [start, end), in PRIORITIES order.

    ``span`` is (start, end, until): a ticket still open is measured up to ``until``.
    ``responses`` (when given) gets (created, priority, response minutes) of each ticket.
    """
    start, end, until = span
    times: dict[str, _Times] = {p: _Times() for p in PRIORITIES}
    if clock.around_the_clock:
        _wall(rows, times, start, end, until)
    else:
        _support(rows, times, start, end, until, clock)
    out = []
    for p in PRIORITIES:
        t = times[p]
        s = PriorityStats(p, targets[p][0], targets[p][1], tickets=len(t.took))
        limit = s.response_target_minutes * 60
        within = len([x for x in t.took if x <= limit])
        s.response_open = len([x for x in t.took_open if x <= limit])
        s.response_met = within - s.response_open
        s.response_breached = s.tickets - within
        limit = s.resolution_target_hours * 3600
        within = len([x for x in t.done if x <= limit])
        s.resolution_open = len([x for x in t.done_open if x <= limit])
        s.resolution_met = within - s.resolution_open
        s.resolution_breached = s.tickets - within
        s.response_minutes = [x / 60 for x in t.took]
        s.resolution_minutes = [x / 60 for x in t.done]
        if responses is not None:
            shown = zip(t.created, s.response_minutes, strict=True)
            responses.extend([(c, p, m) for c, m in shown])
        out.append(s)
    return out


def _wall(
    rows: Iterable[TicketTimes], times: dict[str, _Times], start: float, end: float, until: float
) -> None:
    """Every second counts."""
    for _, priority, created, first, resolved in rows:
        if created < start or created >= end:
            continue
        t = times[priority]
        t.created.append(created)
        if first is None:
            took = until - created
            if took < 0.0:
                took = 0.0
            t.took_open.append(took)
        else:
            took = first - created
            if took < 0.0:
                took = 0.0
        t.took.append(took)
        if resolved is None:
            done = until - created
            if done < 0.0:
                done = 0.0
            t.done_open.append(done)
        else:
            done = resolved - created
            if done < 0.0:
                done = 0.0
        t.done.append(done)


def _support(
    rows: Iterable[TicketTimes],
    times: dict[str, _Times],
    start: float,
    end: float,
    until: float,
    clock: Clock,
) -> None:
    """Only the clock's support hours count."""
    upto, last = clock.counter(start, end)
    seconds: Callable[[float, float], float] = clock.seconds
    for _, priority, created, first, resolved in rows:
        if created < start or created >= end:
            continue
        t = times[priority]
        t.created.append(created)
        since = upto(created)
        answered = until if first is None else first
        if answered <= created:
            took = 0.0
        elif answered <= last:
            took = upto(answered) - since
        else:
            took = seconds(created, answered)
        t.took.append(took)
        if first is None:
            t.took_open.append(took)
        closed = until if resolved is None else resolved
        if closed <= created:
            done = 0.0
        elif closed <= last:
            done = upto(closed) - since
        else:
            done = seconds(created, closed)
        t.done.append(done)
        if resolved is None:
            t.done_open.append(done)
