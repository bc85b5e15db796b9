"""Commands that run Ansible or read what ran: apply, destroy, suspend, resume, status, history."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from asp_provision.cli.app import (
    CatalogOption,
    _interactive,
    _progress,
    _service,
    _warnings,
    app,
)
from asp_provision.cli.specs import PlanFormat, _plan_or_report
from asp_provision.errors import UsageError
from asp_provision.render.style import printable

if TYPE_CHECKING:
    from asp_provision.lifecycle.export import Export
    from asp_provision.run.results import RunResult

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


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not _interactive():
        raise UsageError("not running in a terminal: pass --yes to go ahead without asking")
    if not typer.confirm(question, default=False, err=True):
        sys.stderr.write("Nothing was changed.\n")
        raise typer.Exit(1)


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
    effective: Annotated[
        str | None,
        typer.Option(
            "--effective",
            metavar="YYYY-MM-DD",
            help="The day changes to what is billed take effect (default: today).",
        ),
    ] = None,
) -> None:
    """Plan, confirm, then run the steps' playbooks; each finished step is recorded."""
    from asp_provision.render.plan import plan_text, waiting_text
    from asp_provision.render.progress import results

    if not yes and not check and not _interactive():
        raise UsageError("not running in a terminal: pass --yes to apply without asking")
    day = _day(effective)
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
        plan, desired = result.plan, result.desired
    plan_text(plan, sys.stderr)
    if not plan.changed:
        waiting_text(plan, sys.stderr)
        raise typer.Exit(0)
    service.targets(plan.changing)  # refuse before asking
    if not check:
        _confirm("Apply this plan?", yes)
    outcome = service.apply(
        plan, desired, _progress(), check=check, parallel=parallel, effective=day
    )
    results(outcome, sys.stderr)
    if check:
        _drift_report(outcome)
    # stopping before a gated step is success: the rest waits for the customer
    waiting_text(plan, sys.stderr)
    raise typer.Exit(outcome.exit_code)


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--effective: '{text}' is not a date; write it as YYYY-MM-DD") from None


def _drift_report(outcome: RunResult) -> None:
    for run in outcome.customers.values():
        for step, tasks in run.drift.items():
            for task in tasks:
                sys.stdout.write(f"{run.customer}: {step}: would change: {printable(task)}\n")


@app.command()
def destroy(
    customer: Annotated[str, typer.Argument(help="The customer to offboard.")],
    yes: YesOption = False,
    parallel: ParallelOption = None,
    no_export: Annotated[
        bool,
        typer.Option(
            "--no-export",
            help="Do not export the customer's users, converted records and ledger first.",
        ),
    ] = False,
) -> None:
    """Offboard a customer: export its data, then each applied step's teardown in reverse order."""
    from asp_provision.render.progress import results

    service = _service()
    if not yes and not _interactive():
        raise UsageError("not running in a terminal: pass --yes to destroy without asking")
    service.targets([customer])  # refuse before asking
    committed = service.commitment(customer)
    if committed is not None:
        sys.stderr.write(
            f"{customer} is committed until {committed.term_end}: {committed.months} month"
            f"{'s' if committed.months != 1 else ''} remain at {committed.monthly} "
            f"{committed.currency} = {committed.amount} {committed.currency}, "
            "recorded in the ledger when it is destroyed.\n"
        )
    _confirm(f"Tear down every step of {customer}? Its billing account will be closed.", yes)
    if no_export:
        sys.stderr.write(f"Not exporting {customer}'s data (--no-export).\n")
    outcome = service.destroy(
        customer, _progress(), parallel, export=None if no_export else _exported
    )
    results(outcome, sys.stderr)
    raise typer.Exit(outcome.exit_code)


@app.command()
def suspend(
    customer: Annotated[str, typer.Argument(help="The live customer to suspend.")],
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why, on one line (kept in the customer's history)."),
    ],
    parallel: ParallelOption = None,
) -> None:
    """Close a live customer's service to its users (firewall); its data stays, billing pauses."""
    from asp_provision.render.progress import results

    outcome = _service().suspend(customer, reason, _progress(), parallel)
    results(outcome, sys.stderr)
    if outcome.exit_code == 0:
        sys.stderr.write(f"{customer} is suspended; `asp-provision resume {customer}` reopens.\n")
    raise typer.Exit(outcome.exit_code)


@app.command()
def resume(
    customer: Annotated[str, typer.Argument(help="The suspended customer to resume.")],
    parallel: ParallelOption = None,
) -> None:
    """Open a suspended customer's service to its users again; billing resumes."""
    from asp_provision.render.progress import results

    outcome = _service().resume(customer, _progress(), parallel)
    results(outcome, sys.stderr)
    if outcome.exit_code == 0:
        sys.stderr.write(f"{customer} is live again.\n")
    raise typer.Exit(outcome.exit_code)


def _exported(export: Export) -> None:
    sys.stderr.write(f"Exported {export.describe()} to {printable(str(export.path))}\n")


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
    from asp_provision.render.status import site_text, status_json, status_text

    service = _service()
    found = service.status(customer)
    # whether the local site is served (customers on an inventory's hosts are not)
    site = service.local_site().summary() if service.workspace.inventory_path is None else None
    if output is PlanFormat.json:
        status_json(found, sys.stdout, site)
    else:
        status_text(found, sys.stdout, one=customer is not None)
        site_text(site, sys.stdout, customer)


@app.command()
def history(
    customer: Annotated[str, typer.Argument(help="The customer whose history to show.")],
    output: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = (
        PlanFormat.text
    ),
) -> None:
    """One timeline, oldest first: the customer's runs, step results and ledger events."""
    from asp_provision.render.history import history_json, history_text

    found = _service().history(customer)
    if output is PlanFormat.json:
        history_json(found, sys.stdout)
    else:
        history_text(found, sys.stdout)


@app.command()
def unlock(
    customer: Annotated[str, typer.Argument(help="The customer whose lock to clear.")],
    force: Annotated[
        bool, typer.Option("--force", help="Clear it even if its process may be alive.")
    ] = False,
) -> None:
    """Clear a stale lock left by a run that was killed."""
    lock = _service().unlock(customer, force)
    sys.stderr.write(f"Cleared the lock of {customer} ({lock.describe()}).\n")
