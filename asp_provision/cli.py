"""The command line: parse, call the facade, pick a renderer, map errors to exit codes.

Heavy modules are imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import traceback
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from asp_provision import __version__
from asp_provision.errors import AspError, Interrupted, UsageError

if TYPE_CHECKING:
    from asp_provision.service import PlanResult, Service
    from asp_provision.spec.batch import ValidationReport

app = typer.Typer(
    name="asp-provision",
    help="Declarative provisioning and onboarding of ASP customers, with Ansible doing the work.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class ValidateFormat(StrEnum):
    """Output formats of ``validate``."""

    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


class PlanFormat(StrEnum):
    """Output formats of ``plan`` and ``status``."""

    text = "text"
    json = "json"


class _Options:
    workspace: Path = Path(".")


def _version(value: bool) -> None:
    if value:
        print(f"asp-provision {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    workspace: Annotated[
        Path,
        typer.Option(
            "--workspace",
            "-C",
            envvar="ASP_WORKSPACE",
            help="Workspace folder (default: the current folder).",
            show_default=False,
        ),
    ] = Path("."),
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    _Options.workspace = workspace


def _service(catalog: Path | None = None) -> Service:
    from asp_provision.config import Workspace
    from asp_provision.service import Service

    root = _Options.workspace
    if not root.is_dir():
        raise UsageError(f"no such workspace folder: {root}")
    if catalog is not None and not catalog.is_file():
        raise UsageError(f"no such catalog file: {catalog}")
    return Service(Workspace(root), catalog)


CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", help="Catalog file (default: catalog.yaml, else the built-in)."),
]


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

    report = _service(catalog).validate(paths or [])
    FORMATS[output.value](report, sys.stdout)
    raise typer.Exit(0 if report.ok(strict) else 1)


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of a spec, for editors and other tools."""
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
) -> None:
    """Show what apply would do: steps, field changes, estimate, sizing and charges."""
    from asp_provision.render.plan import plan_json, plan_text

    result = _plan_or_report(_service(catalog), paths or [])
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


def _plan_or_report(service: Service, paths: list[Path]) -> PlanResult:
    from asp_provision.errors import SpecsInvalid
    from asp_provision.render.validation import text

    try:
        return service.plan(paths)
    except SpecsInvalid as exc:
        text(exc.report, sys.stderr)  # type: ignore[arg-type]
        raise typer.Exit(1) from None


def _warnings(report: ValidationReport) -> None:
    from asp_provision.render.validation import text

    if report.warnings:
        text(report, sys.stderr)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, "utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    sys.exit(code)


def _debug_log() -> str:
    with tempfile.NamedTemporaryFile(
        "w", prefix="asp-provision-", suffix=".log", delete=False
    ) as fh:
        fh.write(f"asp-provision {__version__}\nargv: {sys.argv[1:]}\n\n")
        # the traceback only, never local variables: they can hold secrets
        traceback.print_exc(file=fh)
        return fh.name


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise Interrupted("interrupted")


def main() -> NoReturn:
    """Entry point of the ``asp-provision`` command."""
    # Raise our own error on Ctrl-C (the CLI framework would turn KeyboardInterrupt into
    # exit 1), and take SIGINT back in case a shell started us with it ignored.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        app(prog_name="asp-provision")
    except SystemExit:
        raise
    except AspError as exc:
        _fail(str(exc), exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: one line and a log, never a traceback
        log = _debug_log()
        _fail(
            f"unexpected {type(exc).__name__}; details in {log} (please include it in a report)",
            1,
        )
    sys.exit(0)
