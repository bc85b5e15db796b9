"""Commands for sales ops: init (a workspace), new (specs from deals) and docs."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from asp_provision.cli.app import CatalogOption, _interactive, _service, _write, app
from asp_provision.errors import UsageError
from asp_provision.render.style import printable

if TYPE_CHECKING:
    from asp_provision.service import Service


class DocFormat(StrEnum):
    """Output formats of ``docs``."""

    md = "md"
    html = "html"


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(help="The folder for the new workspace.", metavar="DIR")
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Use a folder that is not empty; existing files are kept."),
    ] = False,
) -> None:
    """Create a workspace: the default catalog, templates and playbooks, an empty specs/."""
    from asp_provision.service import init_workspace

    result = init_workspace(directory, force)
    kept = result.kept
    if kept:
        listed = ", ".join(str(p) for p in kept[:5]) + (", ..." if len(kept) > 5 else "")
        sys.stderr.write(f"Kept {len(kept)} files that exist already: {listed}\n")
    if not result.created:
        sys.stderr.write(f"{directory} has every workspace file already; nothing was changed.\n")
        return
    sys.stderr.write(
        f"Created a workspace in {directory} ({len(result.created)} files). "
        f"Next: cd {directory} && asp-provision new CUSTOMER\n"
    )


@app.command()
def new(
    customer: Annotated[
        str | None,
        typer.Argument(
            help="The customer's slug; the spec is specs/CUSTOMER.yaml.", show_default=False
        ),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="The customer's display name.")] = None,
    tier: Annotated[
        str | None, typer.Option("--tier", help="Support tier, from the catalog.")
    ] = None,
    application: Annotated[
        str | None, typer.Option("--app", help="Application, from the catalog.")
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Application version (default: the latest).")
    ] = None,
    edition: Annotated[
        str | None, typer.Option("--edition", help="Application edition (default: the first).")
    ] = None,
    seats: Annotated[
        str | None, typer.Option("--seats", help="Seats sold; sizing and billing follow.")
    ] = None,
    bandwidth: Annotated[
        str | None, typer.Option("--bandwidth", help="Bandwidth in Mbps.", metavar="MBPS")
    ] = None,
    connection: Annotated[
        str | None,
        typer.Option("--connection", help="internet, vpn, mpls or direct (default: internet)."),
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Local connection provider (mpls, direct).")
    ] = None,
    domain: Annotated[
        str | None, typer.Option("--domain", help="The service's domain, e.g. mail.acme.example.")
    ] = None,
    allow_from: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-from",
            metavar="CIDR",
            help="A customer network allowed in (repeatable; default: anywhere, where the "
            "tier permits it).",
        ),
    ] = None,
    contact_name: Annotated[
        str | None, typer.Option("--contact-name", help="The billing contact's name.")
    ] = None,
    contact_email: Annotated[
        str | None,
        typer.Option("--contact-email", help="The billing contact's e-mail; reports go there too."),
    ] = None,
    start_date: Annotated[
        str | None, typer.Option("--start-date", metavar="YYYY-MM-DD", help="Billing start date.")
    ] = None,
    country: Annotated[
        str | None,
        typer.Option("--country", metavar="CC", help="The customer's country, ISO 3166 (tax)."),
    ] = None,
    go_live: Annotated[
        str | None, typer.Option("--go-live", metavar="YYYY-MM-DD", help="Planned go-live date.")
    ] = None,
    admin: Annotated[
        list[str] | None,
        typer.Option("--admin", metavar="USER:EMAIL", help="An administrator (repeatable)."),
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="Billing currency (default: USD).")
    ] = None,
    cycle: Annotated[
        str | None, typer.Option("--cycle", help="monthly or annual (default: monthly).")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="The customer's IANA time zone (default: UTC)."),
    ] = None,
    holidays: Annotated[
        str | None,
        typer.Option(
            "--holidays", metavar="CC", help="Public-holiday country (default: the provider's)."
        ),
    ] = None,
    service_manager: Annotated[
        str | None,
        typer.Option(
            "--service-manager",
            metavar="NAME:EMAIL:PHONE",
            help="The service manager (gold and platinum).",
        ),
    ] = None,
    primary_engineer: Annotated[
        str | None,
        typer.Option(
            "--primary-engineer",
            metavar="NAME:EMAIL:PHONE",
            help="The primary engineer (platinum).",
        ),
    ] = None,
    from_csv: Annotated[
        Path | None,
        typer.Option("--from-csv", metavar="DEALS.csv", help="One spec per row of a CSV file."),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option("--out", "-o", metavar="FILE", help="Write to FILE (- for stdout)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing specs.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only; write nothing.")
    ] = False,
    catalog: CatalogOption = None,
) -> None:
    """Generate a valid spec from a deal, or one per row of a CSV file of deals."""
    values: dict[str, str | list[str] | None] = {
        "customer": customer,
        "name": name,
        "tier": tier,
        "app": application,
        "version": version,
        "edition": edition,
        "seats": seats,
        "bandwidth": bandwidth,
        "connection": connection,
        "provider": provider,
        "domain": domain,
        "allow-from": allow_from,
        "contact-name": contact_name,
        "contact-email": contact_email,
        "start-date": start_date,
        "country": country,
        "go-live": go_live,
        "admin": admin,
        "currency": currency,
        "cycle": cycle,
        "timezone": timezone,
        "holidays": holidays,
        "service-manager": service_manager,
        "primary-engineer": primary_engineer,
    }
    service = _service(catalog)
    if from_csv is None:
        _new_one(service, values, out, force, dry_run)
        return
    given = [("CUSTOMER" if k == "customer" else f"--{k}") for k, v in values.items() if v]
    if out is not None:
        given.append("--out")
    if given:
        raise UsageError(f"--from-csv takes every deal from the file; leave out {', '.join(given)}")
    _new_from_csv(service, from_csv, force, dry_run)


def _new_one(
    service: Service,
    values: dict[str, str | list[str] | None],
    out: str | None,
    force: bool,
    dry_run: bool,
) -> None:
    from asp_provision.config import shown
    from asp_provision.scaffold.deal import DealInvalid, describe

    try:
        if _interactive():
            _ask_missing(service, values)
        deal, spec = service.new_spec(values, out, force, dry_run)
    except DealInvalid as exc:
        for problem in exc.problems:
            sys.stderr.write(f"error: {printable(describe(problem))}\n")
        raise typer.Exit(exc.exit_code) from None
    for warning in spec.warnings:
        sys.stderr.write(f"warning: {printable(describe(warning))}\n")
    if dry_run:
        sys.stderr.write(f"The spec of {deal.customer} is valid; nothing was written.\n")
    elif spec.path is None:
        sys.stdout.write(spec.text)
    else:
        sys.stderr.write(
            f"Wrote {shown(spec.path)}: {deal.tier} tier, {deal.app} {deal.version}, "
            f"{deal.seats} seats. Next: asp-provision plan {shown(spec.path)}\n"
        )


def _ask_missing(service: Service, values: dict[str, str | list[str] | None]) -> None:
    """Ask, on the terminal, for each required value the deal does not give.

    An answer that will not do is explained and asked for again.
    """
    while question := service.next_question(values):
        option, allowed = question
        label = option.question + (f" ({', '.join(allowed)})" if allowed else "")
        answer = _ask(label)
        if allowed and answer not in allowed:
            sys.stderr.write(f"Error: {answer!r} is not one of {', '.join(allowed)}.\n")
            continue
        values[option.name] = [answer] if option.multiple else answer
        problems = service.answer_problems(values, option.name)
        if problems:
            values[option.name] = None
            for problem in problems:
                sys.stderr.write(f"Error: {printable(problem)}\n")


def _ask(label: str) -> str:
    """One non-empty answer typed on the terminal.

    The question goes to stderr only: stdout may be carrying the spec (``-o -``).
    """
    while True:
        sys.stderr.write(f"{label}: ")
        sys.stderr.flush()
        try:
            answer = input().strip()
        except EOFError:
            sys.stderr.write("\n")
            raise UsageError(f"no answer to '{label}': the input ended") from None
        if answer:
            return answer


def _new_from_csv(service: Service, deals_csv: Path, force: bool, dry_run: bool) -> None:
    from asp_provision.config import shown
    from asp_provision.scaffold.deals import DealsInvalid

    try:
        made = service.new_from_csv(deals_csv, force, dry_run)
    except DealsInvalid as exc:
        for problem in exc.problems:
            sys.stderr.write(f"{printable(str(problem))}\n")
        sys.stderr.write(f"error: {exc.summary}\n")
        raise typer.Exit(1) from None
    for w in made.warnings:
        sys.stderr.write(
            f"{w.path}:{w.line}: warning: {w.field + ': ' if w.field else ''}{w.message}\n"
        )
    count = len(made.specs)
    if dry_run:
        sys.stderr.write(
            f"All {count} deals in {deals_csv} make valid specs; nothing was written.\n"
        )
        return
    where = shown(service.workspace.specs_dir)
    sys.stderr.write(f"Wrote {count} spec{'' if count == 1 else 's'} to {where}/.\n")


@app.command()
def docs(
    customer: Annotated[
        str, typer.Argument(help="The customer (specs/CUSTOMER.yaml), or the path of a spec.")
    ],
    output: Annotated[
        DocFormat,
        typer.Option("--format", "-f", help="Markdown, or one self-contained HTML file."),
    ] = DocFormat.md,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    catalog: CatalogOption = None,
) -> None:
    """The customer's service definition: tier, SLA, support included and excluded, charges."""
    from asp_provision.errors import SpecsInvalid
    from asp_provision.render.validation import text

    try:
        document = _service(catalog).service_definition(customer, output.value)
    except SpecsInvalid as exc:
        text(exc.report, sys.stderr)  # type: ignore[arg-type]
        raise typer.Exit(1) from None
    if out is None or str(out) == "-":
        sys.stdout.write(document)
    else:
        _write(out, document)
        sys.stderr.write(f"Wrote {out}.\n")
