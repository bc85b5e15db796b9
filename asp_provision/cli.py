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
    from asp_provision.service import Service

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
        try:
            out.write_text(text, "utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror}") from None


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
