"""Billing commands: usage import and invoice."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from asp_provision.cli.app import CatalogOption, _service, _write, app
from asp_provision.errors import UsageError

if TYPE_CHECKING:
    from asp_provision.service import Service

usage_app = typer.Typer(
    help="Metered usage: active seats, bandwidth and storage samples.", no_args_is_help=True
)
app.add_typer(usage_app, name="usage")


class InvoiceFormat(StrEnum):
    """Output formats of ``invoice``."""

    text = "text"
    json = "json"
    html = "html"


@usage_app.command("import")
def usage_import(
    file: Annotated[
        Path, typer.Argument(help="CSV: customer,metric,timestamp,value.", show_default=False)
    ],
) -> None:
    """Record usage samples in the state; all rows or none, a repeated row changes nothing."""
    read, changed = _service().books.import_usage(file)
    sys.stderr.write(f"Imported {file}: {read} samples, {changed} new or changed.\n")


@app.command()
def invoice(
    customers: Annotated[
        list[str] | None, typer.Argument(help="Customers to invoice.", show_default=False)
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every billed customer.")] = False,
    period: Annotated[
        str, typer.Option("--period", metavar="YYYY-MM", help="The month to invoice.")
    ] = "",
    output: Annotated[
        InvoiceFormat, typer.Option("--format", "-f", help="Output format.")
    ] = InvoiceFormat.text,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="DIR", help="Write one file per invoice into DIR."),
    ] = None,
    reissue: Annotated[
        bool,
        typer.Option("--reissue", help="Credit the period's invoice and issue a new one."),
    ] = False,
    catalog: CatalogOption = None,
) -> None:
    """Invoice a month: issued once and numbered; invoicing again shows the same invoice."""
    from asp_provision.billing.proration import Period

    if bool(customers) == every:
        raise UsageError("name the customers to invoice, or pass --all (not both)")
    if not period:
        raise UsageError("--period YYYY-MM is required")
    month = Period.parse(period)
    service = _service(catalog)
    issued = service.books.invoice(None if every else list(customers or []), month, reissue)
    for customer, why in issued.skipped:
        if not every:
            sys.stderr.write(f"{customer}: no invoice for {month}: {why}\n")
    documents = [*issued.credit_notes, *issued.invoices]
    if out is not None:
        _write_files(service, out, documents, output)
        return
    _print(service, issued.invoices, issued.credit_notes, output)


def _print(
    service: Service,
    invoices: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    output: InvoiceFormat,
) -> None:
    from asp_provision.billing.invoice import as_json
    from asp_provision.billing.render import invoice_html, invoice_text

    if output is InvoiceFormat.json:
        sys.stdout.write(as_json(invoices, notes))
    elif output is InvoiceFormat.html:
        if len(invoices) != 1 or notes:
            raise UsageError("--format html writes one document per invoice: add -o DIR")
        sys.stdout.write(invoice_html(invoices[0], service.catalog, service.templates()))
    else:
        for doc in [*notes, *invoices]:
            invoice_text(doc, sys.stdout)


def _write_files(
    service: Service, folder: Path, documents: list[dict[str, Any]], output: InvoiceFormat
) -> None:
    import io
    import json

    from asp_provision.billing.render import invoice_html, invoice_text

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot make {folder}: {exc.strerror}") from None
    templates = service.templates() if output is InvoiceFormat.html else None
    for doc in documents:
        path = folder / f"{doc['number']}.{output.value if output.value != 'text' else 'txt'}"
        if output is InvoiceFormat.json:
            text = json.dumps(doc, indent=2) + "\n"
        elif templates is not None and "invoice" not in doc:
            text = invoice_html(doc, service.catalog, templates)
        else:
            buffer = io.StringIO()
            invoice_text(doc, buffer)
            text = buffer.getvalue()
            path = path.with_suffix(".txt")
        _write(path, text)
    sys.stderr.write(f"Wrote {len(documents)} documents to {folder}.\n")
