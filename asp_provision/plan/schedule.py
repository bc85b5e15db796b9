"""When a customer can go live: its estimate at the team's daily capacity, over working days.

Work starts today, or on the contract's ``billing.start_date`` when that is later, and
takes ``ceil(hours / capacity_hours_per_day)`` working days (Monday to Friday, less the
public holidays of the spec's ``support.holidays`` country when it names one). The
projected go-live is the last of those days: the earliest the estimate allows. A spec
whose ``onboarding.go_live`` is earlier is warned of (``go-live-early``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asp_provision.now import today as today_in
from asp_provision.plan import effort
from asp_provision.plan.steps import STEPS
from asp_provision.spec.catalog import Catalog
from asp_provision.spec.models import Subscription
from asp_provision.spec.rules import Report

if TYPE_CHECKING:
    from asp_provision.plan.model import CustomerPlan, Plan
    from asp_provision.plan.planner import Desired

EARLY = "go-live-early"
GO_LIVE_FIELD = ("spec", "onboarding", "go_live")

_DAY = dt.timedelta(days=1)
_WEEKEND = (5, 6)
_MOST_DAYS = 100_000
"""Working days a projection looks ahead at most (some 380 years): a bound on the loop."""


def working_day(day: dt.date, country: str | None) -> bool:
    """Monday to Friday, and not a public holiday of ``country``."""
    if day.weekday() in _WEEKEND:
        return False
    if country is None:
        return True
    from asp_provision.sla.clock import public_holidays

    return day not in public_holidays(country, day.year)


def projected_go_live(
    hours: float, start: dt.date, hours_per_day: float, country: str | None = None
) -> dt.date | None:
    """The working day on which ``hours`` of work begun on ``start`` is done (None: no work)."""
    if hours <= 0:
        return None
    # a hair under a whole day is that day: 16.000000001 h at 8 h a day is two days
    days = max(1, math.ceil(round(hours / hours_per_day, 6)))
    day = start
    for _ in range(_MOST_DAYS):
        if working_day(day, country):
            days -= 1
            if days == 0:
                return day
        day += _DAY
    return day


@dataclass(frozen=True, slots=True)
class Schedule:
    """What a customer's projection starts from."""

    go_live: dt.date | None  # the spec's onboarding.go_live
    start_date: dt.date  # billing.start_date: work on the service starts no earlier
    holidays: str | None  # the country whose public holidays are not working days
    timezone: str | None = None  # where "today" is taken (UTC when None)

    @classmethod
    def of(cls, facts: dict[str, Any]) -> Schedule:
        """From the plan's facts of a spec (:func:`asp_provision.plan.planner.customer_facts`)."""
        go_live = facts.get("go_live")
        return cls(
            go_live=dt.date.fromisoformat(go_live) if go_live else None,
            start_date=dt.date.fromisoformat(facts["start_date"]),
            holidays=facts.get("holidays"),
            timezone=facts.get("timezone"),
        )

    @classmethod
    def of_spec(cls, sub: Subscription) -> Schedule:
        """From a spec."""
        onboarding, support = sub.spec.onboarding, sub.spec.support
        return cls(
            go_live=onboarding.go_live if onboarding else None,
            start_date=sub.spec.billing.start_date,
            holidays=support.holidays if support else None,
            timezone=support.timezone if support else None,
        )

    def project(self, hours: float, hours_per_day: float, today: dt.date) -> Projection | None:
        """The go-live ``hours`` of work allows, or None when there is no work left."""
        start = max(today, self.start_date)
        day = projected_go_live(hours, start, hours_per_day, self.holidays)
        if day is None:
            return None
        return Projection(day, start, hours, hours_per_day, self.go_live)


@dataclass(frozen=True, slots=True)
class Projection:
    """A projected go-live, and the go-live the spec asks for."""

    date: dt.date
    start: dt.date
    hours: float
    hours_per_day: float
    wanted: dt.date | None

    @property
    def early(self) -> bool:
        """True when the spec's go-live comes before the work can be done."""
        return self.wanted is not None and self.wanted < self.date

    def message(self) -> str:
        """Why the spec's go-live is early, naming the projected date."""
        return (
            f"go-live {self.wanted} is earlier than the projected {self.date}: "
            f"{self.hours:g} h of engineering at {self.hours_per_day:g} h a working day "
            f"from {self.start}; move go_live to {self.date} or later, or plan more capacity"
        )


Today = Callable[[str | None], dt.date]
"""Today's date in a time zone (UTC for None)."""


def with_projections(
    plan: Plan, desired: Iterable[Desired], catalog: Catalog, today: Today = today_in
) -> Plan:
    """``plan`` with each customer's projected go-live for the work it plans, and warnings.

    A customer with nothing left to do has no projection. ``desired``: the specs planned.
    """
    schedules = {
        d.customer: Schedule.of(d.facts) if d.facts else Schedule.of_spec(d.subscription)
        for d in desired
    }
    customers = [
        _projected(c, schedules[c.customer], catalog, today) if c.customer in schedules else c
        for c in plan.customers
    ]
    return plan.model_copy(update={"customers": customers})


def _projected(
    customer: CustomerPlan, schedule: Schedule, catalog: Catalog, today: Today
) -> CustomerPlan:
    from asp_provision.plan.model import PlanWarning

    now = today(schedule.timezone)
    found = schedule.project(customer.estimate_hours, catalog.capacity_hours_per_day, now)
    if found is None:
        return customer
    warnings = [w for w in customer.warnings if w.code != EARLY]
    if found.early:
        warnings.append(
            PlanWarning(code=EARLY, field=".".join(GO_LIVE_FIELD), message=found.message())
        )
    return customer.model_copy(
        update={"go_live_projected": found.date.isoformat(), "warnings": warnings}
    )


def full_estimate(sub: Subscription, catalog: Catalog) -> float:
    """The hours of every step for ``sub``, as if nothing were applied yet."""
    counts = effort.units(sub)
    return round(sum(effort.step_hours(sub, catalog, name, counts) for name in STEPS), 2)


def go_live_rule(sub: Subscription, catalog: Catalog, report: Report) -> None:
    """``validate``'s view: the whole onboarding's estimate from today against go_live.

    ``validate`` does not read the state, so it counts every step, and it leaves a
    go-live already past alone (that is history, or `plan`'s to judge with the state).
    It warns when the go-live is early even with every weekday a working day, and only
    then looks up the public holidays for the date it names: the holiday calendars take
    longer to load than a spec takes to check. So a go-live made early by holidays
    alone is left to `plan`, which counts them.
    """
    schedule = Schedule.of_spec(sub)
    if schedule.go_live is None:
        return
    now = today_in(schedule.timezone)
    if schedule.go_live < now:
        return
    hours, capacity = full_estimate(sub, catalog), catalog.capacity_hours_per_day
    weekdays = dataclasses.replace(schedule, holidays=None).project(hours, capacity, now)
    if weekdays is None or not weekdays.early:
        return
    found = schedule.project(hours, capacity, now) or weekdays
    report(GO_LIVE_FIELD, EARLY, found.message(), "warning")
