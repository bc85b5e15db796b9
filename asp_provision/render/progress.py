"""Live progress of a run on stderr (a terminal only), and the results table after it."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from asp_provision.render.style import printable, use_colour
from asp_provision.run.events import Event, StepFinished, StepStarted, TaskStarted
from asp_provision.run.results import RunResult


def console(stream: TextIO) -> Console:
    """A rich console for ``stream`` that honours NO_COLOR and plain pipes."""
    colour = use_colour(stream)
    isatty = getattr(stream, "isatty", None)
    terminal = bool(isatty and isatty())
    return Console(
        file=stream,
        no_color=not colour,
        highlight=False,
        force_terminal=colour or None,
        width=None if terminal else 200,  # pipes and CI logs get whole lines
        soft_wrap=False,
    )


class LiveProgress:
    """Steps as bars (customers done of those planned), the task in flight, elapsed time."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.console = console(stream or sys.stderr)
        self.progress: Progress | None = None
        self.bars: dict[str, TaskID] = {}
        self.started = 0.0

    def start(self, customers: dict[str, list[str]], run_id: str) -> None:
        """Show one bar per step."""
        self.started = time.monotonic()
        if not self.console.is_terminal:
            return
        self.progress = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}", style="dim"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        from asp_provision.plan.steps import STEPS

        for step in STEPS:
            total = sum(1 for steps in customers.values() if step in steps)
            if total:
                self.bars[step] = self.progress.add_task(step, total=total, note="")
        self.progress.start()

    def event(self, event: Event) -> None:
        """Move the bars."""
        if self.progress is None:
            return
        if isinstance(event, StepStarted) and event.step in self.bars:
            self.progress.update(self.bars[event.step], note="running")
        elif isinstance(event, TaskStarted) and event.step in self.bars:
            self.progress.update(self.bars[event.step], note=printable(event.task[:60]))
        elif isinstance(event, StepFinished) and event.step in self.bars:
            bar = self.bars[event.step]
            self.progress.advance(bar)
            if not event.ok:
                self.progress.update(bar, note=f"{event.customer} failed")

    def tick(self) -> None:
        """Rich refreshes on its own."""

    def stop(self) -> None:
        """Leave the final bars on screen."""
        if self.progress is not None:
            for bar in self.bars.values():
                self.progress.update(bar, note="")
            self.progress.stop()
            self.progress = None


def results(result: RunResult, stream: TextIO) -> None:
    """A table per customer: steps ok / changed / failed, duration; then each failure."""
    out = console(stream)
    if result.outcome == "nothing-to-do":
        out.print("No changes: nothing to run.")
        return
    table = Table(title=None, show_edge=False, pad_edge=False)
    for column in ("customer", "result", "steps ok", "changed", "failed step", "seconds"):
        table.add_column(column, justify="right" if column in ("changed", "seconds") else "left")
    for run in result.customers.values():
        style = {"succeeded": "green", "failed": "red"}.get(run.status, "yellow")
        table.add_row(
            run.customer,
            Text(run.status, style=style),
            f"{len(run.ok)}/{len(run.planned)}",
            str(run.changed),
            run.failed or "",
            f"{run.seconds:.1f}",
        )
    out.print(table)
    for run in result.customers.values():
        if run.failed:
            out.print(
                Text.assemble(
                    (run.customer, "red"),
                    f": step {run.failed} failed at task '{printable(run.task or '')}': "
                    + printable(run.message or "", lines=True),
                )
            )
    if result.message and result.outcome == "error":
        out.print(
            f"Ansible failed before running the steps:\n{printable(result.message, lines=True)}",
            markup=False,
        )
    elif result.message and result.outcome == "failed":  # a worker that was lost
        out.print(Text(printable(result.message, lines=True), "red"))
    elif result.message:  # what is left to do by hand after a run that succeeded
        out.print(Text(printable(result.message, lines=True), "yellow"))
    if result.state_problem:
        out.print(
            Text(f"The state could not record the run: {printable(result.state_problem)}", "red")
        )
    verb = {
        "succeeded": "finished",
        "failed": "finished with failures",
        "interrupted": "was interrupted",
        "error": "failed",
    }.get(result.outcome, "ended")
    out.print(
        f"Run {result.run_id} {verb} in {result.seconds:.1f}s; full log: "
        f"{printable(str(result.log_dir / 'ansible.log'))}",
        markup=False,
    )
    if result.site_note:
        out.print(printable(result.site_note), markup=False)
