"""The service-level report as one self-contained HTML page, with SVG charts inline."""

from __future__ import annotations

import datetime as dt
from html import escape

from asp_provision.render.charts import availability_chart, response_chart
from asp_provision.render.sla import _STATUS, _fmt
from asp_provision.sla.report import CustomerReport

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:72em;
color:#222;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}
h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.8em 0;width:100%;font-size:.9em}
.wide{overflow-x:auto}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{background:#f2f4f7}
.bad{color:#b03a2e;font-weight:600}.ok{color:#1e8449}
.chart svg{width:100%;height:auto}
.summary td:nth-child(n+2){text-align:right}
@media print{h2{page-break-before:always}}
"""


def _row(cells: list[str], header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def _count(n: int, bad: bool) -> str:
    return f'<span class="bad">{n}</span>' if bad and n else str(n)


def _customer(r: CustomerReport, rank: int | None) -> str:
    t = r.terms
    c = r.credit
    parts = [
        f'<section id="{escape(t.customer)}">',
        f"<h2>{'#' + str(rank) + ' ' if rank else ''}{escape(t.name)} "
        f"<small>({escape(t.customer)}, {escape(t.tier)})</small></h2>",
        f"<p>Support hours: {escape(t.support_hours)}"
        + (f" ({escape(t.business_hours)})" if t.support_hours == "business" else "")
        + f", time zone {escape(t.timezone)}"
        + (f", public holidays of {escape(t.holidays)}" if t.holidays else "")
        + f". Breaches this month: <strong>{r.breaches}</strong>.</p>",
        '<div class="wide"><table><thead>',
        _row(
            [
                "priority",
                "tickets",
                "response target",
                "met",
                "breached",
                "open",
                "median",
                "90th pct",
                "resolution target",
                "met",
                "breached",
                "open",
                "median",
                "90th pct",
            ],
            header=True,
        ),
        "</thead><tbody>",
    ]
    for p in r.priorities:
        parts.append(
            _row(
                [
                    p.priority,
                    str(p.tickets),
                    f"{p.response_target_minutes} min",
                    str(p.response_met),
                    _count(p.response_breached, True),
                    str(p.response_open),
                    _fmt(p.response_percentile(0.5)),
                    _fmt(p.response_percentile(0.9)),
                    f"{p.resolution_target_hours} h",
                    str(p.resolution_met),
                    _count(p.resolution_breached, True),
                    str(p.resolution_open),
                    _fmt(p.resolution_percentile(0.5)),
                    _fmt(p.resolution_percentile(0.9)),
                ]
            )
        )
    met = r.availability_pct >= t.availability_pct
    shown = c.recorded_pct if c.recorded_pct is not None else c.pct
    parts += [
        "</tbody></table></div>",
        f'<p>Availability <strong class="{"ok" if met else "bad"}">{r.availability_pct:f} %'
        f"</strong> against the promise of {t.availability_pct:f} % "
        f"({r.downtime_minutes:.1f} minutes of unplanned downtime).</p>",
        f"<p>Service credit: <strong>{shown:f} %</strong> of {escape(t.currency)} "
        f"{t.monthly_charge:,.2f} = {escape(c.currency)} {c.amount:,.2f} "
        f"({escape(_STATUS[c.status])}).</p>",
    ]
    if c.reasons:
        parts.append("<ul>" + "".join(f"<li>{escape(x)}</li>" for x in c.reasons) + "</ul>")
    parts += [
        f'<div class="chart">{response_chart(r)}</div>',
        f'<div class="chart">{availability_chart(r)}</div>',
        "</section>",
    ]
    return "\n".join(parts)


def report_html(reports: list[CustomerReport], period: str, ranked: bool) -> str:
    """The page: a summary table, then each customer with its charts."""
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        _row(
            [
                f'<a href="#{escape(r.terms.customer)}">{escape(r.terms.customer)}</a>',
                escape(r.terms.tier),
                _count(r.breaches, True),
                f"{r.availability_pct:f} %",
                f"{r.terms.availability_pct:f} %",
                f"{r.credit.pct:f} %",
            ]
        )
        for r in reports
    ]
    head = _row(["customer", "tier", "breaches", "availability", "promise", "credit"], True)
    body = "\n".join(_customer(r, i + 1 if ranked else None) for i, r in enumerate(reports))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Service levels {escape(period)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>Service levels, {escape(period)}</h1><p>Made {made}."
        + (" Customers ranked by breaches, most first." if ranked else "")
        + "</p>\n"
        f'<table class="summary"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>\n'
        f"{body}\n</body></html>\n"
    )
