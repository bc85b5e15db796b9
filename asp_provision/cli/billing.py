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
    documents = service.books.issue(None if every else list(customers or []), month, reissue)
    sink = _Sink(service, output, out)
    for kind, item in documents:
        if isinstance(item, tuple):
            if not every:
                sys.stderr.write(f"{item[0]}: no invoice for {month}: {item[1]}\n")
        else:
            sink.add(kind, item)
    sink.close()


class _Sink:
    """Where documents go as they are issued: stdout, or one file each in a folder."""

    def __init__(self, service: Service, output: InvoiceFormat, folder: Path | None) -> None:
        self.service = service
        self.output = output
        self.folder = folder
        self.count = 0
        self.notes: list[dict[str, Any]] = []
        self.kept: list[dict[str, Any]] = []  # html to stdout: one document only
        self.started = False
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot make {folder}: {exc.strerror}") from None

    def _json_start(self) -> None:
        # written with the first document, so that an error before it leaves stdout empty
        if not self.started:
            self.started = True
            sys.stdout.write('{"format_version": 1, "invoices": [')

    def add(self, kind: str, doc: dict[str, Any]) -> None:
        """One invoice or credit note."""
        import json

        from asp_provision.billing.render import invoice_text

        if self.folder is not None:
            self._file(doc)
        elif self.output is InvoiceFormat.json:
            self._json_start()
            if kind == "credit-note":
                self.notes.append(doc)
                return
            sys.stdout.write(("," if self.count else "") + "\n" + json.dumps(doc, indent=2))
        elif self.output is InvoiceFormat.html:
            self.kept.append(doc)
        else:
            invoice_text(doc, sys.stdout)
        self.count += 1

    def close(self) -> None:
        """Finish the output."""
        import json

        from asp_provision.billing.render import invoice_html

        if self.folder is not None:
            sys.stderr.write(f"Wrote {self.count} documents to {self.folder}.\n")
        elif self.output is InvoiceFormat.json:
            self._json_start()
            notes = f', "credit_notes": {json.dumps(self.notes, indent=2)}' if self.notes else ""
            sys.stdout.write(f"\n]{notes}}}\n")
        elif self.output is InvoiceFormat.html:
            if len(self.kept) != 1:
                raise UsageError("--format html writes one document per invoice: add -o DIR")
            doc = self.kept[0]
            sys.stdout.write(invoice_html(doc, self.service.catalog, self.service.templates()))

    def _file(self, doc: dict[str, Any]) -> None:
        import io
        import json

        from asp_provision.billing.render import invoice_html, invoice_text

        folder = self.folder
        assert folder is not None
        if self.output is InvoiceFormat.json:
            path, text = folder / f"{doc['number']}.json", json.dumps(doc, indent=2) + "\n"
        elif self.output is InvoiceFormat.html and "invoice" not in doc:
            path = folder / f"{doc['number']}.html"
            text = invoice_html(doc, self.service.catalog, self.service.templates())
        else:
            buffer = io.StringIO()
            invoice_text(doc, buffer)
            path, text = folder / f"{doc['number']}.txt", buffer.getvalue()
        _write(path, text)
