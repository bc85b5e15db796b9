"""What a run reports as it goes, in our words (not ansible-runner's)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RunStarted:
    """Ansible started; ``pid`` is the ansible-playbook process."""

    pid: int
    customers: tuple[str, ...] = ()  # those it runs (all of the run's when empty)


@dataclass(frozen=True, slots=True)
class StepStarted:
    """The play of ``step`` began for ``customers``."""

    step: str
    customers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TaskStarted:
    """A task of ``step`` began."""

    step: str
    task: str


@dataclass(frozen=True, slots=True)
class TaskResult:
    """One task's outcome for one customer."""

    customer: str
    step: str
    task: str
    status: str  # ok | changed | failed | skipped | unreachable
    message: str | None = None
    diff: list[str] = field(default_factory=list)
    items: tuple[str, ...] = ()  # of a looped task: the labels of the items that changed

    @property
    def what(self) -> str:
        """The task, with the items that changed of a looped one (``Write ... (qos.conf)``)."""
        return f"{self.task} ({', '.join(self.items)})" if self.items else self.task


@dataclass(frozen=True, slots=True)
class StepFinished:
    """``step`` finished for ``customer``: every task done (ok) or one failed."""

    customer: str
    step: str
    ok: bool
    changed: int
    seconds: float
    task: str | None = None
    message: str | None = None


Event = RunStarted | StepStarted | TaskStarted | TaskResult | StepFinished
