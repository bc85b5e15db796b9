"""The command-line application: options shared by every command, errors to exit codes.

Commands live beside this module, by user: specs (validate, schema, plan), runs (apply,
destroy, status, history, unlock) and sales (init, new, docs). Heavy modules are imported
inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from asp_provision import __version__
from asp_provision.cli.startup import only_command, skip_pydantic_plugins
from asp_provision.errors import AspError, Interrupted, UsageError

if TYPE_CHECKING:
    from asp_provision.config import Workspace
    from asp_provision.run.results import Progress
    from asp_provision.service import Service
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


class _Options:
    workspace: Path = Path(".")
    state: str | None = None


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
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            envvar="ASP_STATE",
            help="State database: a SQLite file (default: .asp/state.db in the workspace) "
            "or a postgresql:// URL.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    _Options.workspace = workspace
    _Options.state = state


def _service(catalog: Path | None = None) -> Service:
    from asp_provision.service import Service

    return Service(_workspace(catalog), catalog)


def _workspace(catalog: Path | None = None) -> Workspace:
    """The workspace the command line names (``-C``, ``--state``), its catalog checked."""
    from asp_provision.config import Workspace

    root = _Options.workspace
    if not root.is_dir():
        raise UsageError(f"no such workspace folder: {root}")
    if catalog is not None and not catalog.is_file():
        raise UsageError(f"no such catalog file: {catalog}")
    workspace = Workspace(root)
    if _Options.state is not None:
        settings = workspace.settings.model_copy(update={"state": _state(_Options.state)})
        workspace = Workspace(root, settings)
    return workspace


def _state(value: str) -> Path | str:
    """The ``--state`` given: a PostgreSQL URL (checked) or a file, made absolute."""
    from asp_provision.state.url import PgUrl, is_url

    if is_url(value):
        try:
            PgUrl(value)
        except ValueError as exc:
            raise UsageError(f"--state: {exc}") from None
        return value
    return Path(value).resolve()


CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", help="Catalog file (default: catalog.yaml, else the built-in)."),
]


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _progress() -> Progress:
    from asp_provision.render.progress import LiveProgress

    return LiveProgress(sys.stderr)


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
    from asp_provision.render.style import printable
    from asp_provision.state.url import mask

    sys.stderr.write(f"error: {printable(mask(message), lines=True)}\n")
    sys.exit(code)


def _debug_log() -> str:
    import tempfile
    import traceback

    from asp_provision.state.url import mask

    with tempfile.NamedTemporaryFile(
        "w", prefix="asp-provision-", suffix=".log", delete=False
    ) as fh:
        fh.write(mask(f"asp-provision {__version__}\nargv: {sys.argv[1:]}\n\n"))
        # the traceback only, never local variables: they can hold secrets; nor the
        # password of a PostgreSQL state's URL
        fh.write(mask(traceback.format_exc()))
        return fh.name


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise Interrupted("interrupted")


def main() -> NoReturn:
    """Entry point of the ``asp-provision`` command."""
    # Raise our own error on Ctrl-C (the CLI framework would turn KeyboardInterrupt into
    # exit 1), and take SIGINT back in case a shell started us with it ignored.
    signal.signal(signal.SIGINT, _interrupt)
    skip_pydantic_plugins()
    try:
        with only_command(app, sys.argv[1:]):
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
