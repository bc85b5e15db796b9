"""The monthly service-level report of one customer.

Tickets against their targets, availability against the promise, and the credits the
tier's schedule owes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from asp_provision.billing.money import rounded
from asp_provision.errors import UsageError
from asp_provision.sla.tally import PriorityStats, TicketTimes, shared_clock, tally
from asp_provision.sla.terms import Terms
from asp_provision.spec.catalog import weekly_hours
from asp_provision.state.sla import SlaView

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_CENT = Decimal("0.01")


def parse_period(text: str) -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); UsageError otherwise."""
    match = _PERIOD.match(text)
    if not match:
        raise UsageError(f"--period: '{text}' is not a month such as 2026-11 (YYYY-MM)")
    return int(match[1]), int(match[2])


def period_bounds(period: str, zone: ZoneInfo) -> tuple[float, float]:
    """The month as POSIX seconds, from its first midnight to the next month's, in ``zone``."""
    year, month = parse_period(period)
    nxt = (year + month // 12, month % 12 + 1)
    start = dt.datetime(year, month, 1, tzinfo=zone).timestamp()
    return start, dt.datetime(nxt[0], nxt[1], 1, tzinfo=zone).timestamp()


@dataclass(slots=True)
class CreditOwed:
    """The credit for the month: as computed, and as recorded in the state."""

    pct: Decimal
    reasons: list[str]
    amount: Decimal
    currency: str
    status: str = "provisional"  # provisional | recorded | recorded-earlier | none
    recorded_pct: Decimal | None = None
    recorded_at: float | None = None


@dataclass(slots=True)
class CustomerReport:
    """One customer's month."""

    terms: Terms
    period: str
    start: float
    end: float
    priorities: list[PriorityStats]
    availability_pct: Decimal
    downtime_minutes: float
    credit: CreditOwed
    responses: list[tuple[float, str, float]]  # created, priority, response minutes (chart)
    outages: list[tuple[float, float]]  # the downtime counted, merged (chart)

    @property
    def breaches(self) -> int:
        """Targets missed in the month, availability counted as one."""
        missed = sum(p.breaches for p in self.priorities)
        return missed + (1 if self.availability_pct < self.terms.availability_pct else 0)


def customer_report(
    terms: Terms,
    period: str,
    view: SlaView,
    now: float,
    rows: Mapping[str, Sequence[TicketTimes]] | None = None,
    charts: bool = True,
) -> CustomerReport:
    """Measure one customer's month from the tickets and outages in the state.

    ``rows``: the customer's tickets by priority in order of creation, when read already
    (any that were not opened in the month are left out). ``charts``: keep each ticket's
    response time for the charts.
    """
    zone = ZoneInfo(terms.timezone)
    start, end = period_bounds(period, zone)
    until = min(end, now)
    hours = weekly_hours(terms.business_hours) if terms.support_hours == "business" else None
    clock = shared_clock(terms.timezone, hours, terms.holidays if hours else None)
    if rows is None:
        rows = view.tickets(terms.customer, start, end)
    responses: list[tuple[float, str, float]] = []
    priorities = tally(
        rows, terms.targets, (start, end, until), clock, responses if charts else None
    )
    outages = downtime(terms, view, start, end, zone)
    down = sum(b - a for a, b in outages)
    total = end - start
    availability = ((1 - Decimal(down) / Decimal(total)) * 100).quantize(Decimal("0.0001"))
    pct, reasons = credits_owed(terms, availability, priorities)
    amount = rounded(terms.monthly_charge * pct / 100, terms.currency)  # as invoices round
    credit = CreditOwed(pct, reasons, amount, terms.currency, "none" if not pct else "provisional")
    return CustomerReport(
        terms, period, start, end, priorities, availability, down / 60, credit, responses, outages
    )


def downtime(
    terms: Terms, view: SlaView, start: float, end: float, zone: ZoneInfo
) -> list[tuple[float, float]]:
    """The unplanned downtime in [start, end), as disjoint intervals in order.

    Overlapping outages are merged; planned work inside the maintenance window is left out.
    """
    window = shared_clock(terms.timezone, weekly_hours(terms.maintenance_window), None)
    pieces: list[tuple[float, float]] = []
    for a, b, planned in view.outages(terms.customer, start, end):
        a, b = max(a, start), min(b, end)
        if not planned:
            pieces.append((a, b))
            continue
        cursor = a
        for wa, wb in window.windows(a, b):
            if wa > cursor:
                pieces.append((cursor, wa))
            cursor = max(cursor, wb)
        if cursor < b:
            pieces.append((cursor, b))
    pieces.sort()
    merged: list[tuple[float, float]] = []
    for a, b in pieces:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def credits_owed(
    terms: Terms, availability: Decimal, priorities: list[PriorityStats]
) -> tuple[Decimal, list[str]]:
    """The credit in percent of the month's charge, and why, by the tier's schedule."""
    schedule = terms.credits
    promise = terms.availability_pct
    reasons: list[str] = []
    owed = Decimal(0)
    best: tuple[Decimal, Decimal] | None = None
    for step in schedule["availability"]:
        below, pct = Decimal(step["points_below"]), Decimal(step["pct"])
        if availability < promise - below and (best is None or pct > best[1]):
            best = (below, pct)
    if best is not None:
        owed += best[1]
        under = f"{promise - best[0]:f}".rstrip("0").rstrip(".")
        reasons.append(f"availability {_pct(availability)} % is under {under} %: {_pct(best[1])} %")
    tickets = schedule.get("tickets")
    if tickets:
        chosen = [p for p in priorities if p.priority in tickets["priorities"]]
        names = "/".join(tickets["priorities"])
        floor = Decimal(tickets["met_below_pct"])
        for what in ("response", "resolution"):
            met = sum(getattr(p, f"{what}_met") for p in chosen)
            missed = sum(getattr(p, f"{what}_breached") for p in chosen)
            if met + missed and Decimal(met * 100) / (met + missed) < floor:
                share = (Decimal(met * 100) / (met + missed)).quantize(Decimal("0.1"))
                owed += Decimal(tickets["pct"])
                reasons.append(
                    f"{what} targets met on {share} % of {names} tickets (under "
                    f"{_pct(floor)} %): {_pct(Decimal(tickets['pct']))} %"
                )
                break  # one ticket credit, however many targets were missed
    cap = Decimal(schedule["cap_pct"])
    if owed > cap:
        reasons.append(f"capped at {_pct(cap)} %")
        owed = cap
    return owed, reasons


def _pct(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
