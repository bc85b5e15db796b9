"""An invoice of one customer for one month, as a document (format_version 1).

Monthly subscriptions are invoiced every month, prorated by days across changes;
annual ones in the month of their start date's anniversary, at 10 x the monthly charge.
Lines are rounded to the currency's minor unit; subtotal, tax and total are sums of
rounded lines.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from asp_provision.billing.money import HUNDRED, rounded
from asp_provision.billing.pricing import Line, MonthlyCharge, monthly_charge
from asp_provision.billing.proration import Period, Segment, segments, terms_on
from asp_provision.billing.terms import Billed, add_months
from asp_provision.billing.usage import Usage, overage
from asp_provision.spec.catalog import Catalog
from asp_provision.spec.formats import EU_COUNTRIES

FORMAT_VERSION = 1
ANNUAL_MONTHS = 10
Changes = list[tuple[dt.date, Billed | None]]


@dataclass(frozen=True, slots=True)
class Draft:
    """An invoice before it has a number."""

    terms: Billed
    period: Period
    lines: tuple[Line, ...]
    tax_rate: Decimal
    tax_note: str

    @property
    def subtotal(self) -> Decimal:
        """Every line but tax."""
        return sum((x.amount for x in self.lines if x.code != "tax"), Decimal(0))

    @property
    def tax(self) -> Decimal:
        """The tax line."""
        return sum((x.amount for x in self.lines if x.code == "tax"), Decimal(0))


def tax_of(terms: Billed, catalog: Catalog) -> tuple[Decimal, str]:
    """The tax rate (percent) and its note: reverse charge for an EU business abroad."""
    home = catalog.provider.country
    if terms.tax_id and terms.country in EU_COUNTRIES and terms.country != home:
        return Decimal(0), "reverse charge"
    pct = catalog.pricing.taxes.get(terms.country, Decimal(0))
    return pct, f"VAT {pct}% ({terms.country})" if pct else f"no tax ({terms.country})"


def account_size(group: list[Changes], account: str, day: dt.date) -> int:
    """Subscriptions billed on ``account`` on ``day``, among the changes of ``group``."""
    count = 0
    for changes in group:
        terms = terms_on(changes, day)
        if terms is not None and terms.account == account and terms.start_date <= day:
            count += 1
    return max(count, 1)


def draft(
    changes: Changes,
    group: list[Changes],
    period: Period,
    usage: Usage,
    credit_pct: Decimal | None,
    catalog: Catalog,
) -> Draft | str:
    """The invoice of one customer for ``period``, or why there is none.

    ``group`` holds the changes of every customer that shares (or shared) its account.
    """
    boundaries = {day for other in group for day, _ in other}
    billed = [s for s in segments(changes, period, boundaries) if s.terms is not None]
    if not billed:
        return f"nothing billed in {period}"
    last = billed[-1].terms
    assert last is not None
    if last.cycle == "annual":
        if period.month != last.start_date.month:
            return f"billed annually, in {last.start_date:%B}"
        lines = _annual(last, changes, group, period, catalog)
    else:
        lines = _monthly(billed, group, period, catalog)
    lines += overage(usage, last, catalog)
    if credit_pct:
        charged = sum((x.amount for x in lines if not x.code.startswith("overage")), Decimal(0))
        off = -rounded(charged * credit_pct / HUNDRED, last.currency)
        lines.append(Line("credit", f"Service credit {credit_pct}%", Decimal(1), off, off))
    rate, note = tax_of(last, catalog)
    subtotal = sum((x.amount for x in lines), Decimal(0))
    tax = rounded(subtotal * rate / HUNDRED, last.currency)
    lines.append(Line("tax", note, Decimal(1), tax, tax))
    return Draft(last, period, tuple(lines), rate, note)


def _charge(terms: Billed, group: list[Changes], day: dt.date, catalog: Catalog) -> MonthlyCharge:
    return monthly_charge(terms, catalog, account_size(group, terms.account, day))


def _annual(
    last: Billed, changes: Changes, group: list[Changes], period: Period, catalog: Catalog
) -> list[Line]:
    """The anniversary invoice: the year ahead, and the changes of the year just ended.

    The year ahead is billed at the terms of the anniversary day, 10 x their monthly
    charge. A change within a term year is prorated by days over that year and charged
    (or credited) on the next anniversary invoice: what the year's days cost at the terms
    of each, less what its anniversary invoice billed.
    """
    years = period.year - last.start_date.year
    day = add_months(last.start_date, 12 * years)
    ahead = _year_ahead(changes, group, day, catalog) or (last, _charge(last, group, day, catalog))
    lines = [
        replace(
            x,
            description=f"{x.description}, {ANNUAL_MONTHS} months (annual)",
            quantity=x.quantity * ANNUAL_MONTHS,
            amount=x.amount * ANNUAL_MONTHS,
        )
        for x in ahead[1].lines
    ]
    if years > 0:
        lines += _year_changes(
            changes, group, add_months(last.start_date, 12 * (years - 1)), day, catalog
        )
    return lines


def _year_ahead(
    changes: Changes, group: list[Changes], day: dt.date, catalog: Catalog
) -> tuple[Billed, MonthlyCharge] | None:
    """The annual terms in effect on an anniversary ``day`` and their monthly charge."""
    terms = terms_on(changes, day)
    if terms is None or terms.cycle != "annual" or terms.start_date > day:
        return None
    return terms, _charge(terms, group, day, catalog)


def _year_changes(
    changes: Changes, group: list[Changes], start: dt.date, end: dt.date, catalog: Catalog
) -> list[Line]:
    """The proration of the term year [start, end), when its terms changed within it."""
    cuts = {start, end}
    cuts |= {day for other in group for day, _ in other if start < day < end}
    days = sorted(cuts)
    if len(days) == 2:
        return []
    length = (end - start).days
    billed = _year_ahead(changes, group, start, catalog)
    before = billed[1].total * ANNUAL_MONTHS if billed else Decimal(0)
    currency = billed[0].currency if billed else None
    exact = Decimal(0)
    parts = []
    for first, stop in itertools.pairwise(days):
        terms = terms_on(changes, first)
        if terms is None or terms.cycle != "annual" or terms.start_date > first:
            continue  # not billed yearly on these days
        yearly = _charge(terms, group, first, catalog).total * ANNUAL_MONTHS
        span = (stop - first).days
        exact += yearly * span / length
        parts.append(f"{span}/{length} days at {yearly}")
        currency = currency or terms.currency
    if currency is None:
        return []
    adjustment = rounded(exact, currency) - before
    if not adjustment:
        return []
    what = f"Changes in the year {start} to {end}: {'; '.join(parts)}, less {before} billed"
    return [Line("proration", what, Decimal(1), adjustment, adjustment)]


def _monthly(
    billed: list[Segment], group: list[Changes], period: Period, catalog: Catalog
) -> list[Line]:
    last = billed[-1]
    assert last.terms is not None
    current = _charge(last.terms, group, last.start, catalog)
    lines = list(current.lines)
    if len(billed) == 1 and last.days == period.days:
        return lines
    cur = last.terms.currency
    exact = Decimal(0)
    parts = []
    for seg in billed:
        assert seg.terms is not None
        monthly = _charge(seg.terms, group, seg.start, catalog).total
        exact += monthly * seg.days / period.days
        parts.append(f"{seg.days}/{period.days} days at {monthly}")
    adjustment = rounded(exact, cur) - current.total
    if adjustment:
        lines.append(
            Line("proration", f"Prorated: {'; '.join(parts)}", Decimal(1), adjustment, adjustment)
        )
    return lines


def document(
    d: Draft, number: str, issued: dt.date, catalog: Catalog, usage: Usage | None = None
) -> dict[str, Any]:
    """The invoice as JSON carries it (amounts as strings)."""
    t = d.terms
    due = issued + dt.timedelta(days=catalog.pricing.payment_days)
    return {
        "number": number,
        "customer": t.customer,
        "customer_name": t.name,
        "account": t.account,
        "period": str(d.period),
        "currency": t.currency,
        "issue_date": issued.isoformat(),
        "due_date": due.isoformat(),
        "billing_contact": {"name": t.contact_name, "email": t.contact_email},
        "po_number": t.po_number,
        "country": t.country,
        "tax_id": t.tax_id,
        "tax_rate": str(d.tax_rate),
        "tax_note": d.tax_note,
        "lines": [
            {
                "code": x.code,
                "description": x.description,
                "quantity": str(x.quantity),
                "unit_price": str(x.unit_price),
                "amount": str(x.amount),
            }
            for x in d.lines
        ],
        "subtotal": str(d.subtotal),
        "tax": str(d.tax),
        "total": str(d.subtotal + d.tax),
    }


def credit_note(invoice: dict[str, Any], number: str, issued: dt.date) -> dict[str, Any]:
    """A credit note cancelling ``invoice`` in full."""

    def minus(text: str) -> str:
        return str(-Decimal(text))

    return {
        "number": number,
        "invoice": invoice["number"],
        "customer": invoice["customer"],
        "period": invoice["period"],
        "currency": invoice["currency"],
        "issue_date": issued.isoformat(),
        "lines": [{**x, "amount": minus(x["amount"])} for x in invoice["lines"]],
        "subtotal": minus(invoice["subtotal"]),
        "tax": minus(invoice["tax"]),
        "total": minus(invoice["total"]),
    }


def as_json(invoices: list[dict[str, Any]], credit_notes: list[dict[str, Any]]) -> str:
    """The JSON output of ``invoice``: format_version 1."""
    data: dict[str, Any] = {"format_version": FORMAT_VERSION, "invoices": invoices}
    if credit_notes:
        data["credit_notes"] = credit_notes
    return json.dumps(data, indent=2) + "\n"
