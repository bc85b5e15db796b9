"""How `status` is printed: a table of customers, or one customer's steps; or JSON."""

from __future__ import annotations

import json
from typing import Any, TextIO

from rich.table import Table
from rich.text import Text

from asp_provision.render.progress import console
from asp_provision.render.style import printable
from asp_provision.status import CustomerStatus

_STYLE = {"applied": "green", "failed": "red", "pending": "yellow", "not applied": "dim"}


def _short(when: str | None) -> str:
    return when[:16].replace("T", " ") if when else ""


def status_json(
    customers: list[CustomerStatus], out: TextIO, site: dict[str, Any] | None = None
) -> None:
    """``{"format_version": 1, "customers": [...], "site": {...}}``.

    ``site``: whether the local site is served (absent where customers run on real hosts).
    """
    found: dict[str, Any] = {"format_version": 1, "customers": [c.as_dict() for c in customers]}
    if site is not None:
        found["site"] = site
    json.dump(found, out, indent=2)
    out.write("\n")


def site_text(site: dict[str, Any] | None, out: TextIO, customer: str | None = None) -> None:
    """One line: whether the local site is served (and serves ``customer``)."""
    if site is None:
        return
    if not site["served"]:
        out.write("site: not served (`asp-provision site serve` starts it)\n")
    elif customer is None:
        out.write(f"site: served at {site['url']} for {len(site['customers'])} customer(s)\n")
    elif customer in site["customers"]:
        out.write(f"site: serves {customer} at {site['url']}\n")
    else:
        out.write(
            f"site: served at {site['url']}, without {customer} (its application is not on the "
            "site yet, or the site was served before it: `asp-provision apply` brings it in)\n"
        )


def _usage(usage: dict[str, Any], out: TextIO) -> None:
    """The month's usage against what was sold, one metric a line."""
    out.write(f"usage in {usage['period']} (against what was sold):\n")
    rows = (
        ("seats", "peak", usage["seats"], ""),
        ("bandwidth", "95th percentile", usage["bandwidth_mbps"], " Mbps"),
        ("storage", "peak", usage["storage_gb"], " GB"),
    )
    for name, how, figures, unit in rows:
        value = figures.get("peak", figures.get("p95"))
        used = f"{value}{unit}" if value is not None else "no samples"
        out.write(f"  {name:<10} {how} {used} of {figures['sold']}{unit} sold\n")


def _lifecycle(c: CustomerStatus, out: TextIO) -> None:
    """The customer's phase, the gate it waits for, and its go-live against the target."""
    since = f" since {_short(c.phase_since)}" if c.phase_since else ""
    out.write(f"phase: {c.phase}{since}\n")
    if c.next_gate:
        sign = f"asp-provision signoff {c.customer} {c.next_gate} --by NAME"
        out.write(f"next gate: {printable(c.next_gate)} (`{printable(sign)}`)\n")
    if c.go_live or c.go_live_actual:
        target = c.go_live or "none"
        actual = c.go_live_actual or "not yet"
        late = f" ({c.days_late} days late)" if c.days_late else ""
        out.write(f"go-live: target {target}, actual {actual}{late}\n")


def status_text(customers: list[CustomerStatus], out: TextIO, one: bool) -> None:
    """The overview table, or each step of a single customer."""
    con = console(out)
    if not customers:
        con.print("No customers in the state or the specs.")
        return
    if one:
        c = customers[0]
        con.print(
            Text.assemble(
                (c.customer, "bold"),
                f"  {printable(c.tier or '')}, {printable(c.application or '')}"
                + ("  (orphaned: spec gone)" if c.orphaned else ""),
            )
        )
        _lifecycle(c, out)
        if c.worker:
            out.write(f"worker: {printable(c.worker)}\n")
        table = Table(show_edge=False, pad_edge=False)
        for column in ("step", "status", "since", "run", "message"):
            table.add_column(column)
        for s in c.steps:
            table.add_row(
                s.step,
                Text(s.status, style=_STYLE[s.status]),
                _short(s.updated_at),
                s.run_id or "",
                Text(printable(s.message or "")),
            )
        con.print(table)
        if c.renewal:
            con.print(f"contract renews {c.renewal}")
        if c.usage:
            _usage(c.usage, out)
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in (
        "customer",
        "phase",
        "tier",
        "application",
        "applied",
        "pending",
        "failed",
        "last run",
        "go-live",
        "renewal",
    ):
        table.add_column(column)
    on_workers = any(c.worker for c in customers)
    if on_workers:
        table.add_column("worker")
    for c in customers:
        run = c.last_run
        last = f"{_short(run['started_at'])} {run['outcome']}" if run else ""
        name = Text(c.customer + (" (orphaned)" if c.orphaned else ""))
        table.add_row(
            name,
            c.phase or "",
            printable(c.tier or ""),
            printable(c.application or ""),
            str(c.applied),
            Text(str(c.pending), style="yellow" if c.pending else ""),
            Text(str(c.failed), style="red" if c.failed else ""),
            last,
            c.go_live or "",
            c.renewal or "",
            *([printable(c.worker or "")] if on_workers else []),
        )
    con.print(table)
