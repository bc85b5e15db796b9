"""How a plan is printed: a concise text view (or every field with ``detail``), or JSON."""

from __future__ import annotations

import json
from typing import Any, TextIO

from asp_provision.plan.diff import SECRET_CHANGED
from asp_provision.plan.model import Change, CustomerPlan, Plan, StepPlan
from asp_provision.render.style import Paint, printable, use_colour

_SYMBOL = {
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "no-op": ("=", "dim"),
    "destroy": ("-", "red"),
}
_SHOWN_CHANGES = 5


def plan_json(plan: Plan, out: TextIO) -> None:
    """The plan as JSON (the same document ``--out`` saves)."""
    json.dump(plan.model_dump(mode="json"), out, indent=2)
    out.write("\n")


def _value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def change_line(change: Change) -> str:
    """``~ network.bandwidth_mbps: 100 -> 200`` and the like."""
    if change.op == "~":
        if change.after == SECRET_CHANGED:
            return f"~ {change.path}: {SECRET_CHANGED}"
        return f"~ {change.path}: {_value(change.before)} -> {_value(change.after)}"
    shown = change.after if change.op == "+" else change.before
    if shown is None or isinstance(shown, dict):
        return f"{change.op} {change.path}"
    return f"{change.op} {change.path}: {_value(shown)}"


def money(amount: float, currency: str) -> str:
    """``USD 2,800.00``."""
    return f"{currency} {amount:,.2f}"


def _hours(hours: float) -> str:
    return f"{hours:g} h"


def _estimate(hours: float, phases: dict[str, float]) -> str:
    """``16.8 h of engineering (provisioning 15.6 h, training 1.2 h)``."""
    parts = [f"{phase} {_hours(h)}" for phase, h in phases.items() if h]
    shown = f" ({', '.join(parts)})" if parts else ""
    return f"{_hours(hours)} of engineering{shown}"


def plan_text(plan: Plan, out: TextIO, detail: bool = False) -> None:
    """The plan for people: changed steps per customer, then the totals."""
    paint = Paint(use_colour(out))
    for customer in plan.customers:
        _customer(customer, out, paint, detail)
    if plan.orphaned:
        out.write(
            paint("Orphaned", "bold") + ": in the state, but their spec is gone "
            "(use `asp-provision destroy CUSTOMER`)\n"
        )
        for orphan in plan.orphaned:
            where = f" (was {printable(orphan.spec_path)})" if orphan.spec_path else ""
            out.write(f"  - {orphan.customer}{where}: {len(orphan.applied_steps)} steps applied\n")
        out.write("\n")
    customers = len(plan.customers)
    waiting = f", {plan.waiting} waiting for sign-off" if plan.waiting else ""
    summary = (
        f"Plan: {plan.count('create')} to create, {plan.count('update')} to update, "
        f"{plan.count('no-op')} unchanged{waiting} across {customers} customer"
        f"{'' if customers == 1 else 's'}."
    )
    if plan.changed:
        summary += f" Estimate: {_estimate(plan.estimate_hours, plan.estimate_phases)}."
    else:
        summary += " No changes."
    out.write(paint(summary, "bold") + "\n")


def _customer(customer: CustomerPlan, out: TextIO, paint: Paint, detail: bool) -> None:
    head = (
        f"{paint(customer.customer, 'bold')}  {printable(customer.name)}  "
        f"({printable(customer.tier)}, {printable(customer.application)})  "
        f"{printable(customer.path)}"
    )
    if not customer.changed and not customer.waiting and not detail:
        out.write(f"{head}: {paint('no changes', 'dim')}\n")
        _notes(customer, out, paint)
        return
    counts = ", ".join(
        f"{n} to {a}" if a != "no-op" else f"{n} unchanged"
        for a in ("create", "update", "no-op")
        if (n := customer.count(a))
    )
    if customer.waiting:
        counts += f", {customer.waiting} waiting for sign-off"
    out.write(f"{head}: {counts}\n")
    _notes(customer, out, paint)
    _address(customer, out, paint, detail)
    for step in customer.steps:
        if step.runs or step.waiting or detail:
            _step(step, out, paint, detail)
    sizing = customer.sizing
    under = sizing.under
    size_text = (
        f"app cores {sizing.app_cores} (recommended {sizing.app_cores_recommended}), "
        f"app servers {sizing.app_servers} (minimum {sizing.app_servers_minimum}), "
        f"storage {sizing.storage_gb} GB (recommended {sizing.storage_gb_recommended} GB) "
        f"for {sizing.seats} seats"
    )
    flag = paint(f"  UNDER: {', '.join(under)}", "red") if under else ""
    out.write(f"    sizing: {size_text}{flag}\n")
    c = customer.charges
    charge = f"{money(c.monthly, c.currency)}/month"
    if c.cycle == "annual":
        charge += f", billed annually {money(c.annual, c.currency)}/year"
    if detail:
        charge += (
            f" (base {money(c.base, c.currency)} + seats {money(c.seats, c.currency)}"
            f" + bandwidth {money(c.bandwidth, c.currency)}"
            + (f" - discounts {money(-c.discount, c.currency)})" if c.discount else ")")
        )
    out.write(f"    charges: {charge}\n")
    if customer.estimate_hours:
        estimate = _estimate(customer.estimate_hours, customer.estimate_phases)
        out.write(f"    estimate: {estimate}\n")
    if customer.go_live_projected:
        wanted = f" (go_live {customer.go_live})" if customer.go_live else ""
        out.write(f"    go-live: projected {customer.go_live_projected}{wanted}\n")
    _warnings(customer, out, paint)
    out.write("\n")


def _warnings(customer: CustomerPlan, out: TextIO, paint: Paint) -> None:
    for warning in customer.warnings:
        line = f"    warning: {printable(warning.message)} ({warning.code})"
        out.write(paint(line, "yellow") + "\n")


def _notes(customer: CustomerPlan, out: TextIO, paint: Paint) -> None:
    for note in customer.notes:
        out.write(paint(f"    note: {printable(note)}", "yellow") + "\n")


def _address(customer: CustomerPlan, out: TextIO, paint: Paint, detail: bool) -> None:
    address = customer.address
    if address is None:
        return
    if address.moved_from is not None:
        line = (
            f"~ subnet {address.moved_from} -> {address.subnet} (to be allocated: {address.note})"
        )
        out.write(f"  {paint(line, 'yellow')}\n")
    elif not address.allocated:
        out.write(f"  {paint(f'+ subnet {address.subnet} (to be allocated)', 'green')}\n")
    elif detail:
        line = f"= subnet {address.subnet} (service {address.service_address})"
        out.write(f"  {paint(line, 'dim')}\n")


def _step(step: StepPlan, out: TextIO, paint: Paint, detail: bool) -> None:
    hours = f"  {_hours(step.hours)}" if step.hours else ""
    if step.waiting and step.gate is not None:
        gates = ", ".join(step.gate.missing)
        out.write(
            f"  {paint('||', 'cyan')} {step.step:<15} "
            f"{paint(f'waiting for sign-off: {gates}', 'cyan')}, then {step.action} "
            f"({printable(step.reason)}){paint(hours, 'dim')}\n"
        )
    else:
        symbol, colour = _SYMBOL[step.action]
        signed = f" (signed off: {step.gate.name})" if step.gate is not None else ""
        out.write(
            f"  {paint(symbol, colour)} {step.step:<15} {paint(f'{step.action:<8}', colour)} "
            f"{printable(step.reason)}{signed}{paint(hours, 'dim')}\n"
        )
    shown = step.changes if detail else step.changes[:_SHOWN_CHANGES]
    for change in shown:
        line = printable(change_line(change))
        out.write(f"      {paint(line, _SYMBOL_COLOUR[change.op])}\n")
    hidden = len(step.changes) - len(shown)
    if hidden:
        out.write(paint(f"      ... and {hidden} more (see --detail)\n", "dim"))


_SYMBOL_COLOUR = {"+": "green", "-": "red", "~": "yellow"}


def waiting_text(plan: Plan, out: TextIO) -> None:
    """What a run left waiting for a sign-off, and how to give it."""
    for customer in plan.customers:
        for step in customer.steps:
            if step.waiting and step.gate is not None:
                for gate in step.gate.missing:
                    out.write(
                        f"{customer.customer}: {step.step} waits for the sign-off {gate}: "
                        f"asp-provision signoff {customer.customer} {gate} --by NAME\n"
                    )
