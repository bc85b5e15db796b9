"""Charts of the service-level report, drawn by matplotlib as self-contained SVG.

Text is drawn as paths, so the SVG needs no fonts; nothing refers to a URL.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

from asp_provision.sla.report import CustomerReport

_COLOURS = {"P1": "#c0392b", "P2": "#e67e22", "P3": "#2980b9", "P4": "#7f8c8d"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "path",
            "svg.hashsalt": "asp-provision",
            "font.family": "DejaVu Sans",
            "font.size": 9,
        }
    )
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: object) -> str:
    plt = _pyplot()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # the RDF block only names its tool; the page needs nothing from outside itself
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)


def response_chart(report: CustomerReport) -> str:
    """Each ticket's response time over the month, against its priority's target."""
    plt = _pyplot()
    zone = ZoneInfo(report.terms.timezone)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    start = dt.datetime.fromtimestamp(report.start, zone)
    end = dt.datetime.fromtimestamp(report.end, zone)
    for stats in report.priorities:
        name = stats.priority
        points = [(c, m) for c, p, m in report.responses if p == name]
        colour = _COLOURS[name]
        if points:
            xs = [dt.datetime.fromtimestamp(c, zone) for c, _ in points]
            ys = [max(m, 0.1) for _, m in points]
            ax.scatter(xs, ys, s=10, color=colour, label=f"{name} ({len(points)})", alpha=0.8)
        ax.hlines(
            stats.response_target_minutes,
            start,
            end,
            colors=colour,
            linestyles="dashed",
            linewidth=1,
        )
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ticks = sorted({p.response_target_minutes for p in report.priorities})
    shown = [m for _, _, m in report.responses]
    ax.set_yticks(ticks + [t for t in (1, 1000, 10000) if shown and min(shown) < t < max(shown)])
    ax.set_xlim(start, end)
    ax.set_ylabel("response (support minutes)")
    ax.set_title("Response times against the targets (dashed)")
    if report.responses:
        ax.legend(loc="upper right", fontsize=8)
    fig.autofmt_xdate()
    return _svg(fig)


def availability_chart(report: CustomerReport) -> str:
    """Availability day by day, and for the month, against the promise."""
    plt = _pyplot()
    zone = ZoneInfo(report.terms.timezone)
    days: list[dt.datetime] = []
    values: list[float] = []
    day = dt.datetime.fromtimestamp(report.start, zone)
    while day.timestamp() < report.end:
        nxt_date = day.date() + dt.timedelta(days=1)
        nxt = dt.datetime(nxt_date.year, nxt_date.month, nxt_date.day, tzinfo=zone)
        a, b = day.timestamp(), nxt.timestamp()
        down = sum(max(0.0, min(b, y) - max(a, x)) for x, y in report.outages)
        days.append(day)
        values.append(100 * (1 - down / (b - a)))
        day = nxt
    promise = float(report.terms.availability_pct)
    fig, ax = plt.subplots(figsize=(8, 2.8))
    colours = ["#27ae60" if v >= promise else "#c0392b" for v in values]
    low = min([*values, promise])
    margin = max((100 - low) * 0.25, 0.02)
    ax.bar(days, values, color=colours, width=0.8, align="edge")
    ax.axhline(promise, color="#34495e", linestyle="dashed", linewidth=1)
    ax.set_title(
        f"Availability by day: {report.availability_pct:f} % for the month, "
        f"promise {promise:g} % (dashed)"
    )
    ax.set_ylabel("availability %")
    ax.set_ylim(low - margin, 100 + margin / 10)
    fig.autofmt_xdate()
    return _svg(fig)
