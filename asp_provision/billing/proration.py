"""Periods and proration: which terms held on which days of a month.

A change of what is billed takes effect on its day: a period's charge is each terms'
monthly charge x the days they held / the days in the period.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import re
from dataclasses import dataclass

from asp_provision.billing.terms import Billed
from asp_provision.errors import UsageError

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$", re.ASCII)


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str, today: dt.date | None = None) -> Period:
        """``YYYY-MM``; a month that has not begun is refused."""
        match = _PERIOD.match(text)
        if not match:
            raise UsageError(f"--period: '{text}' is not a month; write it as YYYY-MM")
        period = cls(int(match.group(1)), int(match.group(2)))
        if period.start > (today or dt.date.today()):
            raise UsageError(
                f"--period: {text} is in the future; it can be invoiced from its start"
            )
        return period

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def days(self) -> int:
        """Days in the month: 28 to 31."""
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def start(self) -> dt.date:
        """Its first day."""
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        """The first day after it."""
        return self.start + dt.timedelta(days=self.days)

    def epoch(self) -> tuple[int, int]:
        """Its start and end as UTC epoch seconds."""
        utc = dt.UTC
        first = dt.datetime(self.year, self.month, 1, tzinfo=utc)
        last = dt.datetime.combine(self.end, dt.time(), tzinfo=utc)
        return int(first.timestamp()), int(last.timestamp())


@dataclass(frozen=True, slots=True)
class Segment:
    """Days of a period under one set of terms (None: not billed)."""

    start: dt.date
    days: int
    terms: Billed | None


def segments(
    changes: list[tuple[dt.date, Billed | None]], period: Period, boundaries: set[dt.date]
) -> list[Segment]:
    """The period cut at each change (and at ``boundaries``), with the terms of each part.

    ``changes`` are (effective day, terms) in the order recorded; billing starts no
    earlier than the terms' start_date.
    """
    cuts = {period.start, period.end}
    cuts |= {day for day, _ in changes if period.start < day < period.end}
    cuts |= {day for day in boundaries if period.start < day < period.end}
    for _, terms in changes:
        if terms is not None and period.start < terms.start_date < period.end:
            cuts.add(terms.start_date)
    days = sorted(cuts)
    out: list[Segment] = []
    for start, stop in itertools.pairwise(days):
        terms = terms_on(changes, start)
        if terms is not None and start < terms.start_date:
            terms = None
        out.append(Segment(start, (stop - start).days, terms))
    return out


def terms_on(changes: list[tuple[dt.date, Billed | None]], day: dt.date) -> Billed | None:
    """The terms in effect on ``day``: the last change effective on or before it."""
    found: Billed | None = None
    for effective, terms in changes:
        if effective <= day:
            found = terms
    return found
