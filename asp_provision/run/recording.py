"""The state of a run: its locks, its record, and what the state could not write.

A run records in the state as it goes; a write that fails stops the run (the state
can no longer tell what happened), and the run then ends as failed with the reason. Its
end and its locks are written whatever happened, or the result says they could not be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from asp_provision.errors import Interrupted, StateError
from asp_provision.run.request import StopRun
from asp_provision.state import locks
from asp_provision.state.store import StateStore

if TYPE_CHECKING:
    from asp_provision.plan.model import Plan
    from asp_provision.run.results import RunResult


@dataclass(slots=True)
class Recording:
    """The state store of a run, and what it could not write."""

    store: StateStore
    run_id: str
    failure: StateError | None = None  # the first write that failed: the run stopped there
    unfinished: StateError | None = None  # the run's end or its locks could not be written
    finished: bool = False  # the run's end was written

    def write(self, change: Callable[[], None]) -> None:
        """Make one change; on the first failure, keep it and stop the run."""
        if self.failure is not None:
            return  # what follows a lost write is not recorded either: the order holds
        try:
            change()
        except StateError as exc:
            self.failure = exc
            raise StopRun(str(exc)) from None

    def conclude(self, result: RunResult) -> RunResult:
        """The result, failed with the reason when the state could not record the run."""
        problems = []
        if self.failure is not None:
            result.outcome = "failed"
            problems.append(
                f"{self.failure}\nThe run was stopped there and recorded as failed; what "
                "finished after the last recorded step runs again next time."
            )
        if self.unfinished is not None:
            customers = " ".join(result.customers) or "CUSTOMER"
            problems.append(
                f"The run's end and its locks could not be written: {self.unfinished}\n"
                "`status` shows the run as interrupted; once the state can be written, "
                f"`asp-provision unlock {customers}` clears the locks."
            )
        if problems:
            result.state_problem = "\n".join(problems)
            if result.outcome == "succeeded":
                result.outcome = "failed"
        return result


@contextmanager
def recording(
    store: StateStore,
    run_id: str,
    command: str,
    customers: list[str],
    log_dir: str,
    plan: Plan | None,
    prepare: Callable[[StateStore], None] | None = None,
) -> Iterator[Recording]:
    """The state of a run: its customers locked, the run begun, locks always freed.

    ``prepare`` runs under the locks before the run is recorded as begun. A lock that
    cannot be freed after the run is kept in the recording (the run's result says so),
    never raised over the run's own outcome.
    """
    store.open()
    record = Recording(store, run_id)
    try:
        locks.acquire(store, customers, run_id)
        try:
            if prepare is not None:
                prepare(store)
            store.begin_run(
                run_id,
                command,
                customers,
                log_dir,
                plan.model_dump(mode="json") if plan else None,
            )
            try:
                yield record
            except BaseException as exc:
                if not record.finished:  # it stopped before Ansible ran: say how
                    ended = "interrupted" if isinstance(exc, Interrupted) else "failed"
                    with suppress(StateError):
                        store.finish_run(run_id, ended)
                raise
        finally:
            try:
                locks.release(store, run_id)
            except StateError as exc:
                record.unfinished = record.unfinished or exc
    finally:
        store.close()
