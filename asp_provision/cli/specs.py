"""Commands on specs: validate, schema and plan."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from asp_provision.cli.app import (
    CatalogOption,
    _progress,
    _service,
    _warnings,
    _workspace,
    _write,
    app,
)

if TYPE_CHECKING:
    from asp_provision.service import PlanResult, Service


class ValidateFormat(StrEnum):
    """Output formats of ``validate``."""

    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


class PlanFormat(StrEnum):
    """Output formats of ``plan``, ``status`` and ``history``."""

    text = "text"
    json = "json"


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Spec files or folders (default: specs/).", show_default=False),
    ] = None,
    catalog: CatalogOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    output: Annotated[
        ValidateFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ValidateFormat.text,
) -> None:
    """Check specs against the schema and the catalog; every problem with file:line:column."""
    from asp_provision.render.validation import FORMATS
    from asp_provision.validation import validate_workspace

    report = validate_workspace(_workspace(catalog), catalog, paths or [])
    FORMATS[output.value](report, sys.stdout)
    raise typer.Exit(0 if report.ok(strict) else 1)


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of a spec, for editors and other tools."""
    import json

    from asp_provision.service import subscription_schema

    text = json.dumps(subscription_schema(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        _write(out, text)


@app.command()
def plan(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Spec files or folders (default: specs/).", show_default=False),
    ] = None,
    catalog: CatalogOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Save the plan as JSON, for apply.")
    ] = None,
    output: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = (
        PlanFormat.text
    ),
    detail: Annotated[
        bool, typer.Option("--detail", help="Every field, unchanged steps and price breakdown.")
    ] = False,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 3 when there are changes.")
    ] = False,
    refresh: Annotated[
        bool,
        typer.Option("--refresh", help="Detect drift: run applied steps in Ansible check mode."),
    ] = False,
) -> None:
    """Show what apply would do: steps, field changes, estimate, sizing and charges."""
    from asp_provision.render.plan import plan_json, plan_text

    result = _plan_or_report(_service(catalog), paths or [], refresh=refresh)
    if out is not None:
        _write(out, result.plan.model_dump_json(indent=2) + "\n")
    if output is PlanFormat.json:
        plan_json(result.plan, sys.stdout)
    else:
        _warnings(result.report)
        plan_text(result.plan, sys.stdout, detail)
        if out is not None:
            sys.stderr.write(
                f"Saved the plan to {out}; apply it with `asp-provision apply {out}`\n"
            )
    raise typer.Exit(3 if detailed_exitcode and result.plan.changed else 0)


def _plan_or_report(
    service: Service,
    paths: list[Path],
    only: set[str] | None = None,
    exclude: set[str] | None = None,
    refresh: bool = False,
) -> PlanResult:
    from asp_provision.errors import SpecsInvalid
    from asp_provision.render.validation import text

    try:
        return service.plan(paths, only, exclude, _progress() if refresh else None)
    except SpecsInvalid as exc:
        text(exc.report, sys.stderr)  # type: ignore[arg-type]
        raise typer.Exit(1) from None
