"""What a run reports: to the person watching it as it goes, and its outcome once over."""

from __future__ import annotations

import secrets as random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from asp_provision.run.events import Event


class Progress(Protocol):
    """What a run tells the person watching it."""

    def start(self, customers: dict[str, list[str]], run_id: str) -> None:
        """The run begins: each customer with the steps it will run."""

    def event(self, event: Event) -> None:
        """Something happened."""

    def tick(self) -> None:
        """Time passed (for elapsed-time displays)."""

    def stop(self) -> None:
        """The run is over."""


class NoProgress:
    """Shows nothing."""

    def start(self, customers: dict[str, list[str]], run_id: str) -> None:
        """Nothing to show."""

    def event(self, event: Event) -> None:
        """Nothing to show."""

    def tick(self) -> None:
        """Nothing to show."""

    def stop(self) -> None:
        """Nothing to show."""


@dataclass(slots=True)
class CustomerRun:
    """What one customer's steps did in a run."""

    customer: str
    planned: list[str]
    ok: list[str] = field(default_factory=list)
    failed: str | None = None
    task: str | None = None
    message: str | None = None
    changed: int = 0
    seconds: float = 0.0
    drift: dict[str, list[str]] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """Succeeded | failed | incomplete."""
        if self.failed:
            return "failed"
        return "succeeded" if len(self.ok) == len(self.planned) else "incomplete"


@dataclass(slots=True)
class RunResult:
    """The outcome of apply, destroy or a check run."""

    run_id: str
    log_dir: Path
    outcome: str  # succeeded | failed | interrupted | error | nothing-to-do
    customers: dict[str, CustomerRun]
    message: str | None = None
    seconds: float = 0.0
    check: bool = False
    state_problem: str | None = None  # why the state could not record the run
    site_note: str | None = None  # what became of the served local site after the run

    @property
    def exit_code(self) -> int:
        """0 succeeded, 1 failed, 130 interrupted."""
        return {"succeeded": 0, "nothing-to-do": 0, "interrupted": 130}.get(self.outcome, 1)


def new_run_id() -> str:
    """A sortable, unique run id: 20261124T093000-1a2b."""
    return time.strftime("%Y%m%dT%H%M%S") + "-" + random.token_hex(2)
