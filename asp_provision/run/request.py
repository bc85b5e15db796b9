"""What a run is asked to do, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from asp_provision.run.inventory import Host
from asp_provision.run.workers import Worker, WorkerSide


class StopRun(Exception):
    """Raised by an event handler to stop the run, as Ctrl-C does (the run then ends)."""


@dataclass(frozen=True, slots=True)
class RunRequest:
    """Everything one run needs."""

    hosts: list[Host]
    steps: list[str]  # in the order they run
    playbooks: Path
    log_dir: Path
    teardown: bool = False
    tasks: str | None = None  # one other task file of each step's role to run (suspend)
    check: bool = False
    forks: int = 5
    mitogen: bool = True
    inventory: Path | None = None  # the workspace's inventory of real hosts, if any
    asp_dir: Path | None = None  # where the run's private folder goes; None: a temporary one
    hidden_env: frozenset[str] = frozenset()  # variables ansible-playbook must not inherit
    # the workers the customers are streamed to, each with its share (none: run here)
    shards: tuple[tuple[Worker, tuple[str, ...]], ...] = ()
    side: WorkerSide | None = None  # the workers' own settings


@dataclass(slots=True)
class RunOutcome:
    """How a run ended."""

    status: str  # successful | failed | interrupted | error
    rc: int | None
    message: str | None = None
    seconds: float = 0.0
    failed_hosts: set[str] = field(default_factory=set)
    ended: bool = True  # Ansible's events came to their end (not so for a lost worker)
    held: dict[str, str] = field(default_factory=dict)  # customer -> a worker maybe running it
