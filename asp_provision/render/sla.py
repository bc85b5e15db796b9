"""How the service-level report is printed: text, or JSON (format_version 1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from asp_provision.render.json_text import dumps
from asp_provision.sla.report import CustomerReport
from asp_provision.sla.tally import PriorityStats


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _when(ts: float | None, zone: ZoneInfo | None = None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, zone or dt.UTC).isoformat(timespec="seconds")


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _priority(p: PriorityStats) -> dict[str, Any]:
    return {
        "priority": p.priority,
        "tickets": p.tickets,
        "response": {
            "target_minutes": p.response_target_minutes,
            "met": p.response_met,
            "breached": p.response_breached,
            "open": p.response_open,
            "median_minutes": _minutes(p.response_percentile(0.5)),
            "p90_minutes": _minutes(p.response_percentile(0.9)),
        },
        "resolution": {
            "target_hours": p.resolution_target_hours,
            "met": p.resolution_met,
            "breached": p.resolution_breached,
            "open": p.resolution_open,
            "median_minutes": _minutes(p.resolution_percentile(0.5)),
            "p90_minutes": _minutes(p.resolution_percentile(0.9)),
        },
    }


def report_data(r: CustomerReport, rank: int | None = None) -> dict[str, Any]:
    """One customer's month as JSON data."""
    t = r.terms
    zone = ZoneInfo(t.timezone)
    c = r.credit
    return {
        "customer": t.customer,
        "name": t.name,
        "tier": t.tier,
        "rank": rank,
        "period": r.period,
        "period_start": _when(r.start, zone),
        "period_end": _when(r.end, zone),
        "timezone": t.timezone,
        "holidays": t.holidays,
        "support_hours": t.support_hours,
        "breaches": r.breaches,
        "priorities": [_priority(p) for p in r.priorities],
        "availability": {
            "pct": _dec(r.availability_pct),
            "promise_pct": _dec(t.availability_pct),
            "met": r.availability_pct >= t.availability_pct,
            "downtime_minutes": _minutes(r.downtime_minutes),
        },
        "credit": {
            "pct": _dec(c.pct),
            "amount": _dec(c.amount),
            "currency": c.currency,
            "monthly_charge": _dec(t.monthly_charge),
            "reasons": c.reasons,
            "status": c.status,
            "recorded_pct": _dec(c.recorded_pct),
            "recorded_at": _when(c.recorded_at),
        },
    }


def report_json(reports: list[CustomerReport], period: str, out: TextIO, ranked: bool) -> None:
    """``{"format_version": 1, "period": ..., "customers": [...]}``."""
    data = {
        "format_version": 1,
        "period": period,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "customers": [report_data(r, i + 1 if ranked else None) for i, r in enumerate(reports)],
    }
    out.write(dumps(data) + "\n")


_STATUS = {
    "none": "no credit owed",
    "provisional": "provisional: the month has not ended, nothing recorded",
    "recorded": "recorded now",
    "recorded-earlier": "recorded earlier",
}


def _fmt(minutes: float | None) -> str:
    if minutes is None:
        return "-"
    if minutes < 120:
        return f"{minutes:.1f} min"
    return f"{minutes / 60:.1f} h"


_GROUPS = ("", "", "response", "", "", "", "", "", "resolution", "", "", "", "", "")
_NAMES = ("priority", "tickets", *(("target", "met", "late", "open", "median", "p90") * 2))


def _table(priorities: list[PriorityStats], out: TextIO) -> None:
    rows = [list(_GROUPS), list(_NAMES)]
    for p in priorities:
        rows.append(
            [
                p.priority,
                str(p.tickets),
                f"{p.response_target_minutes} min",
                str(p.response_met),
                str(p.response_breached),
                str(p.response_open),
                _fmt(p.response_percentile(0.5)),
                _fmt(p.response_percentile(0.9)),
                f"{p.resolution_target_hours} h",
                str(p.resolution_met),
                str(p.resolution_breached),
                str(p.resolution_open),
                _fmt(p.resolution_percentile(0.5)),
                _fmt(p.resolution_percentile(0.9)),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell.ljust(widths[i]) if i == 0 or row is rows[0] else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        out.write(("  " + "  ".join(cells[:8]) + "   " + "  ".join(cells[8:])).rstrip() + "\n")


def report_text(reports: list[CustomerReport], out: TextIO, ranked: bool) -> None:
    """Plain text, one block per customer (most breaches first with --all)."""
    if not reports:
        out.write("No customers to report on.\n")
        return
    for index, r in enumerate(reports):
        t = r.terms
        rank = f"#{index + 1} " if ranked else ""
        out.write(
            f"{rank}{t.customer}  {t.name}  ({t.tier}, {t.support_hours} support, "
            f"{t.timezone})  {r.period}: {r.breaches} breaches\n"
        )
        _table(r.priorities, out)
        mark = "met" if r.availability_pct >= t.availability_pct else "BREACHED"
        out.write(
            f"  availability {r.availability_pct:f} % (promise {t.availability_pct:f} %): {mark}; "
            f"downtime {r.downtime_minutes:.1f} min\n"
        )
        c = r.credit
        shown = c.recorded_pct if c.recorded_pct is not None else c.pct
        out.write(
            f"  credit {shown:f} % of {t.currency} {t.monthly_charge:,.2f} = {c.currency} "
            f"{c.amount:,.2f} ({_STATUS[c.status]})\n"
        )
        if c.recorded_pct is not None and c.recorded_pct != c.pct:
            out.write(f"    now computes {c.pct:f} %; the recorded credit is kept as it was\n")
        for reason in c.reasons:
            out.write(f"    - {reason}\n")
        out.write("\n")
