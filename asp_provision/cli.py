"""The command line: parse, call the facade, pick a renderer, map errors to exit codes.

Heavy modules are imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import signal
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from asp_provision import __version__
from asp_provision.errors import AspError, Interrupted, UsageError

if TYPE_CHECKING:
    from asp_provision.run.apply import Progress, RunResult
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
    state: Path | None = None


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
        Path | None,
        typer.Option(
            "--state",
            envvar="ASP_STATE",
            help="State database (default: .asp/state.db in the workspace).",
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
    from asp_provision.config import Workspace
    from asp_provision.service import Service

    root = _Options.workspace
    if not root.is_dir():
        raise UsageError(f"no such workspace folder: {root}")
    if catalog is not None and not catalog.is_file():
        raise UsageError(f"no such catalog file: {catalog}")
    workspace = Workspace(root)
    if _Options.state is not None:
        settings = workspace.settings.model_copy(update={"state": _Options.state.resolve()})
        workspace = Workspace(root, settings)
    return Service(workspace, catalog)


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


StepsOption = Annotated[
    list[str] | None,
    typer.Option("--only", help="Run only this step (repeatable); dependencies must be applied."),
]
ExcludeOption = Annotated[
    list[str] | None, typer.Option("--exclude", help="Leave this step out (repeatable).")
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
ParallelOption = Annotated[
    int | None,
    typer.Option("--parallel", min=1, max=256, help="Customers run at once (Ansible forks)."),
]


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not _interactive():
        raise UsageError("not running in a terminal: pass --yes to go ahead without asking")
    if not typer.confirm(question, default=False, err=True):
        sys.stderr.write("Nothing was changed.\n")
        raise typer.Exit(1)


def _progress() -> Progress:
    from asp_provision.render.progress import LiveProgress

    return LiveProgress(sys.stderr)


@app.command()
def apply(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Spec files or folders, or one saved PLAN.json.", show_default=False),
    ] = None,
    catalog: CatalogOption = None,
    yes: YesOption = False,
    check: Annotated[
        bool, typer.Option("--check", help="Ansible check and diff mode; records nothing.")
    ] = False,
    only: StepsOption = None,
    exclude: ExcludeOption = None,
    parallel: ParallelOption = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Detect drift first, and repair it.")
    ] = False,
) -> None:
    """Plan, confirm, then run the steps' playbooks; each finished step is recorded."""
    from asp_provision.render.plan import plan_text
    from asp_provision.render.progress import results

    if not yes and not check and not _interactive():
        raise UsageError("not running in a terminal: pass --yes to apply without asking")
    service = _service(catalog)
    args = paths or []
    if len(args) == 1 and args[0].suffix == ".json":
        if only or exclude or refresh:
            raise UsageError(
                "a saved plan is applied exactly as it was made: "
                "--only, --exclude and --refresh belong to `plan`"
            )
        plan, desired = service.saved_plan(args[0])
    else:
        result = _plan_or_report(service, args, set(only or ()), set(exclude or ()), refresh)
        _warnings(result.report)
        plan, desired = result.plan, [d for d in service.desired(args).desired]
    plan_text(plan, sys.stderr)
    if not plan.changed:
        raise typer.Exit(0)
    if not check:
        _confirm("Apply this plan?", yes)
    outcome = service.apply(plan, desired, _progress(), check=check, parallel=parallel)
    results(outcome, sys.stderr)
    if check:
        _drift_report(outcome)
    raise typer.Exit(outcome.exit_code)


def _drift_report(outcome: RunResult) -> None:
    for run in outcome.customers.values():
        for step, tasks in run.drift.items():
            for task in tasks:
                sys.stdout.write(f"{run.customer}: {step}: would change: {task}\n")


@app.command()
def destroy(
    customer: Annotated[str, typer.Argument(help="The customer to offboard.")],
    yes: YesOption = False,
    parallel: ParallelOption = None,
) -> None:
    """Offboard a customer: each applied step's teardown, in reverse order."""
    from asp_provision.render.progress import results

    service = _service()
    if not yes and not _interactive():
        raise UsageError("not running in a terminal: pass --yes to destroy without asking")
    _confirm(f"Tear down every step of {customer}? Its billing account will be closed.", yes)
    outcome = service.destroy(customer, _progress(), parallel)
    results(outcome, sys.stderr)
    raise typer.Exit(outcome.exit_code)


@app.command()
def status(
    customer: Annotated[
        str | None, typer.Argument(help="One customer's steps.", show_default=False)
    ] = None,
    output: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = (
        PlanFormat.text
    ),
) -> None:
    """Customers: tier, application, steps applied / pending / failed, last run, go-live."""
    from asp_provision.render.status import status_json, status_text

    found = _service().status(customer)
    if output is PlanFormat.json:
        status_json(found, sys.stdout)
    else:
        status_text(found, sys.stdout, one=customer is not None)


@app.command()
def unlock(
    customer: Annotated[str, typer.Argument(help="The customer whose lock to clear.")],
    force: Annotated[
        bool, typer.Option("--force", help="Clear it even if its process may be alive.")
    ] = False,
) -> None:
    """Clear a stale lock left by a run that was killed."""
    from asp_provision.state.locks import unlock as clear
    from asp_provision.state.store import StateStore

    service = _service()
    with StateStore(service.workspace.state_path) as store:
        lock = clear(store, customer, force)
    sys.stderr.write(f"Cleared the lock of {customer} ({lock.describe()}).\n")


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
    import tempfile
    import traceback

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
