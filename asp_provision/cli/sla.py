"""Commands for service levels: tickets import, outages import and sla report."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from asp_provision.cli.app import _service, _write, app
from asp_provision.errors import UsageError

if TYPE_CHECKING:
    from asp_provision.sla.report import CustomerReport
    from asp_provision.sla.workflow import Imported

tickets_app = typer.Typer(
    help="Support tickets, for the service-level report.", no_args_is_help=True
)
outages_app = typer.Typer(help="Outages, for the service-level report.", no_args_is_help=True)
sla_app = typer.Typer(help="Service levels kept: the monthly report.", no_args_is_help=True)
app.add_typer(tickets_app, name="tickets")
app.add_typer(outages_app, name="outages")
app.add_typer(sla_app, name="sla")


class TicketFormat(StrEnum):
    """Formats of a ticket file."""

    csv = "csv"
    zendesk = "zendesk"
    jira = "jira"


class ReportFormat(StrEnum):
    """Output formats of ``sla report``."""

    text = "text"
    json = "json"
    html = "html"


def _file(path: Path) -> Path:
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    return path


def _done(what: str, result: Imported) -> None:
    sys.stderr.write(
        f"Imported {result.rows} {what} from {result.path}: {result.added} new, "
        f"{result.updated} updated.\n"
    )


@tickets_app.command("import")
def tickets_import(
    file: Annotated[Path, typer.Argument(help="The CSV file of tickets.", metavar="FILE")],
    fmt: Annotated[
        TicketFormat,
        typer.Option("--format", "-f", help="csv (plain), zendesk or jira (their CSV exports)."),
    ] = TicketFormat.csv,
) -> None:
    """Import tickets: every row or none; a ticket imported again is updated."""
    _done("tickets", _service().import_tickets(_file(file), fmt.value))


@outages_app.command("import")
def outages_import(
    file: Annotated[Path, typer.Argument(help="CSV: customer,start,end,planned.", metavar="FILE")],
) -> None:
    """Import outages: every row or none; an outage imported again is updated."""
    _done("outages", _service().import_outages(_file(file)))


@sla_app.command("report")
def sla_report(
    customers: Annotated[
        list[str] | None, typer.Argument(help="Customers to report on.", show_default=False)
    ] = None,
    everyone: Annotated[
        bool, typer.Option("--all", help="Every customer, most breaches first.")
    ] = False,
    period: Annotated[
        str, typer.Option("--period", metavar="YYYY-MM", help="The month to report.")
    ] = "",
    output: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = (
        ReportFormat.text
    ),
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="DIR", help="Write one file per customer into DIR."),
    ] = None,
) -> None:
    """Service levels of a month: tickets against targets, availability, credits owed."""
    if not period:
        raise UsageError("--period YYYY-MM is required")
    from asp_provision.sla.workflow import no_cycles

    with no_cycles():
        charts = output is ReportFormat.html
        reports = _service().sla_report(customers or [], everyone, period, charts)
        if out_dir is None:
            _print(reports, period, output, everyone)
        else:
            _write_files(reports, period, output, out_dir, everyone)


def _print(reports: list[CustomerReport], period: str, output: ReportFormat, ranked: bool) -> None:
    from asp_provision.render import sla as render

    if output is ReportFormat.json:
        render.report_json(reports, period, sys.stdout, ranked)
    elif output is ReportFormat.html:
        from asp_provision.render.sla_html import report_html

        sys.stdout.write(report_html(reports, period, ranked))
    else:
        render.report_text(reports, sys.stdout, ranked)


def _write_files(
    reports: list[CustomerReport], period: str, output: ReportFormat, out_dir: Path, ranked: bool
) -> None:
    import io

    from asp_provision.render import sla as render

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {out_dir}: {exc.strerror}") from None
    suffix = {"text": "txt", "json": "json", "html": "html"}[output.value]
    for report in reports:
        path = out_dir / f"{report.terms.customer}-{period}.{suffix}"
        if output is ReportFormat.html:
            from asp_provision.render.sla_html import report_html

            text = report_html([report], period, False)
        else:
            buffer = io.StringIO()
            if output is ReportFormat.json:
                render.report_json([report], period, buffer, False)
            else:
                render.report_text([report], buffer, False)
            text = buffer.getvalue()
        _write(path, text)
        sys.stderr.write(f"Wrote {path}\n")
