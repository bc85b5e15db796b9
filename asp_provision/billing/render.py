"""Invoices as text and as a self-contained HTML document (a Jinja2 template)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TextIO

from asp_provision.scaffold.templates import Templates
from asp_provision.spec.catalog import Catalog

INVOICE_TEMPLATE = "invoice.html.j2"


def amount(text: str) -> str:
    """``"-1234.5"`` as ``-1,234.50`` (whole numbers for a currency without cents)."""
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 2
    return f"{value:,.{max(places, 0)}f}"


def invoice_text(doc: dict[str, Any], out: TextIO) -> None:
    """One invoice (or credit note) as plain text."""
    cur = doc["currency"]
    title = "Credit note" if "invoice" in doc else "Invoice"
    out.write(f"{title} {doc['number']}  {doc['customer']}  period {doc['period']}\n")
    if "invoice" in doc:
        out.write(f"  cancels invoice {doc['invoice']}\n")
    else:
        out.write(
            f"  account {doc['account']}, issued {doc['issue_date']}, due {doc['due_date']}\n"
        )
    for line in doc["lines"]:
        out.write(
            f"  {line['code']:<18} {line['description'][:46]:<46} "
            f"{amount(line['amount']):>14} {cur}\n"
        )
    out.write(f"  {'subtotal':<65}{amount(doc['subtotal']):>14} {cur}\n")
    out.write(f"  {'tax':<65}{amount(doc['tax']):>14} {cur}\n")
    out.write(f"  {'total':<65}{amount(doc['total']):>14} {cur}\n\n")


def invoice_html(doc: dict[str, Any], catalog: Catalog, templates: Templates) -> str:
    """One invoice as a document to send: provider, customer, lines, totals, tax note."""
    provider = catalog.provider
    context = {
        "invoice": doc,
        "provider": {
            "name": provider.name,
            "address": list(provider.address),
            "country": provider.country,
            "support": provider.support.model_dump(),
        },
        "amount": {k: amount(doc[k]) for k in ("subtotal", "tax", "total")},
        "lines": [
            {**line, "shown": amount(line["amount"]), "unit": amount(line["unit_price"])}
            for line in doc["lines"]
        ],
    }
    return templates.html(INVOICE_TEMPLATE, context)
