"""The executor: one ansible-runner run for every customer and step of a plan.

This is the only module that imports ansible_runner. Its events arrive on the runner's
thread; they are queued and handled on the caller's thread, which also keeps the
state database on one thread. Ctrl-C is forwarded to the ansible-playbook process
itself: ansible-runner's own cancel stops only its process group, and ansible-core's
workers would finish the task in flight.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asp_provision.errors import Interrupted
from asp_provision.plan.steps import ROLES
from asp_provision.run.events import Event, RunStarted
from asp_provision.run.inventory import Host, build_inventory
from asp_provision.run.playbook import entry_playbook
from asp_provision.run.private import PrivateDir, private_dir
from asp_provision.run.runlog import RunLog
from asp_provision.run.stream import Remote, StreamThread, Transport, build_folder
from asp_provision.run.tracker import HIDDEN as HIDDEN
from asp_provision.run.tracker import Tracker
from asp_provision.run.tracker import _message as _message
from asp_provision.run.workers import Worker, WorkerSide

Emit = Callable[[Event], None]

LOG = "ansible.log"
"""The run's log in its folder of runs: Ansible's output, for every worker of the run."""

_POLL = 0.05
_STOP_GRACE = 20.0
_SIGINT_AGAIN = 1.0


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


def mitogen_strategy_dir() -> str | None:
    """Where mitogen's strategy plugins are, or None when mitogen is not installed."""
    try:
        import ansible_mitogen
    except ImportError:
        return None
    return str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy")


def _environment(request: RunRequest, private: Path, roles: Path) -> dict[str, str]:
    bindir = str(Path(sys.executable).parent)
    env = {
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_LIBRARY": str(request.playbooks / "library"),
        "ANSIBLE_MODULE_UTILS": str(request.playbooks / "module_utils"),
        "ANSIBLE_ROLES_PATH": str(roles),
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_LOCAL_TEMP": str(private / "tmp"),
        "ANSIBLE_REMOTE_TEMP": str(private / "tmp"),
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
    }
    strategy = mitogen_strategy_dir() if request.mitogen else None
    if strategy:
        env["ANSIBLE_STRATEGY_PLUGINS"] = strategy
        env["ANSIBLE_STRATEGY"] = "mitogen_linear"
    return env


class _Job:
    """One ansible-runner run of a request's customers: here, or streamed to a worker."""

    tracker: Tracker
    log: RunLog
    worker: Worker | None = None

    def start(self) -> None:
        raise NotImplementedError

    def alive(self) -> bool:
        raise NotImplementedError

    def interrupt(self) -> None:
        """Ask the run to stop, as Ctrl-C does (asked again each second)."""
        raise NotImplementedError

    def kill(self) -> None:
        """Stop it now."""
        raise NotImplementedError

    def outcome(self, interrupted: bool) -> RunOutcome:
        raise NotImplementedError


class _LocalJob(_Job):
    """The run on this host, through ansible-runner's interface."""

    def __init__(
        self, request: RunRequest, private: Path, roles: Path, log: RunLog, emit: Emit
    ) -> None:
        import ansible_runner.interface

        self.request = request
        self.tracker = Tracker(request, emit)
        self.cancel = False
        (private / "tmp").mkdir()
        project = private / "project"
        project.mkdir()
        (project / "main.yml").write_text(
            json.dumps(
                entry_playbook(request.steps, request.playbooks, request.teardown, request.tasks),
                indent=1,
            )
        )
        inventory = private / "inventory"
        inventory.mkdir()
        hosts_file = inventory / "hosts.json"
        local = request.inventory is None
        hosts_file.write_text(json.dumps(build_inventory(request.hosts, request.steps, local)))
        hosts_file.chmod(0o600)
        # the workspace's inventory comes last, so its variables win: how to reach
        # each customer, and the site settings it chooses
        inventories = [str(hosts_file)] if local else [str(hosts_file), str(request.inventory)]
        envvars = _environment(request, private, roles)
        _header(log, request, envvars.get("ANSIBLE_STRATEGY", "linear"))

        def handler(event: dict[str, Any]) -> bool:
            log.event(event)
            self.tracker.handle(event)
            return False  # keep events off disk: we keep what we need

        self.runner = ansible_runner.interface.init_runner(
            private_data_dir=str(private),
            playbook="main.yml",
            inventory=inventories,
            limit=",".join(h.customer for h in request.hosts),
            envvars=envvars,
            forks=request.forks,
            cmdline="--check --diff" if request.check else None,
            event_handler=handler,
            cancel_callback=lambda: self.cancel,
            quiet=True,
            suppress_env_files=True,
            settings={"suppress_output_file": True, "suppress_ansible_output": True},
        )
        # ansible-runner gives ansible-playbook (and records in artifacts/<id>/command)
        # a copy of our whole environment: the variables that hold secrets stay out
        config_env = self.runner.config.env
        for name in request.hidden_env:
            config_env.pop(name, None)
        self.thread = threading.Thread(target=self.runner.run)
        self.log = log

    def start(self) -> None:
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def interrupt(self) -> None:
        # ansible-playbook can miss a SIGINT that lands at some points of a task (it
        # then runs on, or waits forever); asking again stops it
        _stop(self.tracker.pid, signal.SIGINT)

    def kill(self) -> None:
        self.cancel = True
        _stop(self.tracker.pid, signal.SIGKILL)

    def outcome(self, interrupted: bool) -> RunOutcome:
        rc = self.runner.rc
        failed = set(self.tracker.failed)
        if interrupted:
            return RunOutcome("interrupted", rc, "interrupted", failed_hosts=failed)
        if str(self.runner.status) == "successful":
            return RunOutcome("successful", rc)
        if failed:
            return RunOutcome("failed", rc, None, failed_hosts=failed)
        return RunOutcome("error", rc, self.log.tail())


class _StreamJob(_Job):
    """A worker's share of the customers, streamed to it and its events replayed here."""

    worker: Worker

    def __init__(
        self,
        request: RunRequest,
        worker: Worker,
        customers: tuple[str, ...],
        private: Path,
        name: str,
        log: RunLog,
        emit: Emit,
    ) -> None:
        assert request.side is not None
        self.request = request
        self.worker = worker
        self.tracker = Tracker(request, emit, customers, remote=True)
        self.remote = Remote(worker, request.side, name)
        self.log = log
        hosts = [h for h in request.hosts if h.customer in customers]
        hosts_file, envvars = build_folder(
            private,
            self.remote,
            hosts,
            request.steps,
            request.playbooks,
            request.teardown,
            request.tasks,
        )
        log.header(f"worker {worker.name}, private folder {self.remote.folder}")
        _header(log, request, "the worker's")

        def handler(event: dict[str, Any]) -> bool:
            log.event(event)
            self.tracker.handle(event)
            return False

        self.private = private
        self.kwargs: dict[str, Any] = {
            "playbook": "main.yml",
            "inventory": str(hosts_file),
            "limit": ",".join(customers),
            "envvars": envvars,
            "forks": request.forks,
            "cmdline": "--check --diff" if request.check else None,
            "suppress_env_files": True,
            "quiet": True,
            "settings": {"suppress_output_file": True, "suppress_ansible_output": True},
        }
        self.handler = handler
        self.transport: Transport | None = None
        self.thread: StreamThread | None = None
        self.result: tuple[int, str] | None = None

    def start(self) -> None:
        self.transport = Transport(self.remote)
        self.thread = StreamThread(self.transport, self.private, self.kwargs, self.handler)
        self.thread.start()

    def alive(self) -> bool:
        assert self.thread is not None
        return self.thread.is_alive()

    def interrupt(self) -> None:
        assert self.transport is not None
        self.transport.close_input()

    def kill(self) -> None:
        assert self.transport is not None
        self.transport.kill()

    def outcome(self, interrupted: bool) -> RunOutcome:
        assert self.transport is not None and self.thread is not None
        rc, said = self.transport.finish()
        thread = self.thread
        failed = set(self.tracker.failed)
        if interrupted:
            return RunOutcome("interrupted", None, "interrupted", failed_hosts=failed)
        if thread.status == "successful":
            return RunOutcome("successful", 0)
        if thread.ended and failed:
            return RunOutcome("failed", 2, None, failed_hosts=failed)
        if thread.ended:  # failed before any task: Ansible's own error
            return RunOutcome("error", 2, f"worker {self.worker.name}: {self.log.tail()}")
        why = said or thread.explanation or "the worker's events ended early"
        lost = set(self.tracker.customers) - self.tracker.done
        message = f"worker {self.worker.name} was lost (exit {rc}): {why}"
        held = {}
        if not self.transport.ended():
            held = {c: self.worker.name for c in sorted(lost)}
            message += (
                "\nIts run may still be going there: check the worker, then "
                f"`asp-provision unlock --force CUSTOMER` frees {', '.join(held)}."
            )
        return RunOutcome(
            "failed" if self.tracker.events else "error",
            rc,
            message,
            failed_hosts=failed | lost,
            ended=False,
            held=held,
        )


class Executor:
    """Runs a :class:`RunRequest` through ansible-runner: here, or streamed to its workers."""

    def __init__(
        self, on_event: Callable[[Event], None], on_tick: Callable[[], None] | None = None
    ):
        self.on_event = on_event
        self.on_tick = on_tick or (lambda: None)

    def run(self, request: RunRequest) -> RunOutcome:
        """Run to the end, or until Ctrl-C; events reach ``on_event`` on this thread."""
        request.log_dir.mkdir(parents=True, exist_ok=True)
        events: queue.Queue[Event] = queue.Queue()
        holders: list[PrivateDir] = []

        def emit(event: Event) -> None:
            if isinstance(event, RunStarted):
                for holder in holders:
                    holder.note_pid(event.pid)
            events.put(event)

        started = time.monotonic()
        lock = threading.Lock()
        with contextlib.ExitStack() as stack:
            file = stack.enter_context((request.log_dir / LOG).open("a", encoding="utf-8"))
            jobs: list[_Job] = []
            if not request.shards:
                private, holder = self._private(stack, request)
                holders.extend(h for h in [holder] if h is not None)
                # Ansible evaluates the folders of its roles path as templates, and reads a
                # role name holding a comma as a requirement: the workspace's roles (whose
                # path may hold "{{" or commas) are reached through a link of our own
                links = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asp-roles-")))
                (links / "roles").symlink_to(request.playbooks / ROLES)
                log = RunLog(file, lock)
                jobs.append(_LocalJob(request, private, links / "roles", log, emit))
            several = len(request.shards) > 1
            for worker, customers in request.shards:
                private, _ = self._private(stack, request)
                log = RunLog(file, lock, f"{worker.name} | " if several else "")
                jobs.append(
                    _StreamJob(request, worker, customers, private, private.name, log, emit)
                )
            for job in jobs:
                job.start()
            interrupted = self._wait(jobs, events)
            self._drain(events)
            outcomes = []
            for job in jobs:
                outcome = job.outcome(interrupted)
                # a step in flight when the run stopped did not finish: nothing of it counts
                cut = interrupted or outcome.status == "error" or not outcome.ended
                job.tracker.close_step(interrupted=cut)
                job.log.header(f"{job.tracker.events} events, {outcome.status}")
                outcomes.append(outcome)
            self._drain(events)
            return _merged(outcomes, time.monotonic() - started)

    @staticmethod
    def _private(
        stack: contextlib.ExitStack, request: RunRequest
    ) -> tuple[Path, PrivateDir | None]:
        if request.asp_dir is None:
            return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asp-run-"))), None
        holder = stack.enter_context(private_dir(request.asp_dir))
        return holder.path, holder

    def _drain(self, events: queue.Queue[Event]) -> None:
        while True:
            try:
                event = events.get_nowait()
            except queue.Empty:
                return
            self.on_event(event)

    def _wait(self, jobs: list[_Job], events: queue.Queue[Event]) -> bool:
        """Poll until every run ends; on Ctrl-C stop them all and say so."""
        try:
            while any(job.alive() for job in jobs):
                time.sleep(_POLL)
                self._drain(events)
                self.on_tick()
            return False
        except (KeyboardInterrupt, Interrupted, StopRun):
            pass
        for job in jobs:
            job.interrupt()
        now = time.monotonic()
        deadline, again = now + _STOP_GRACE, now + _SIGINT_AGAIN
        while any(job.alive() for job in jobs):
            try:
                time.sleep(_POLL)
                self._drain(events)
            except (KeyboardInterrupt, Interrupted):
                deadline = 0.0  # asked twice: stop now
            except StopRun:
                pass  # already stopping
            now = time.monotonic()
            if now > deadline:
                for job in jobs:
                    job.kill()
            elif now > again:
                for job in jobs:
                    job.interrupt()
                again = now + _SIGINT_AGAIN
        return True


_RANK = {"interrupted": 0, "error": 1, "failed": 2, "successful": 3}


def _merged(outcomes: list[RunOutcome], seconds: float) -> RunOutcome:
    """One outcome for the runs of a request: the worst, with every run's reasons."""
    worst = min(outcomes, key=lambda o: _RANK.get(o.status, 1))
    messages = [o.message for o in outcomes if o.message and o.status != "successful"]
    failed = set().union(*(o.failed_hosts for o in outcomes))
    message = "\n".join(dict.fromkeys(messages)) or None
    held = {c: w for o in outcomes for c, w in o.held.items()}
    ended = all(o.ended for o in outcomes)
    return RunOutcome(worst.status, worst.rc, message, seconds, failed, ended, held)


def _stop(pid: int | None, sig: signal.Signals) -> None:
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _header(log: RunLog, request: RunRequest, strategy: str) -> None:
    log.header(
        f"strategy {strategy}, "
        f"forks {request.forks}, check {request.check}, teardown {request.teardown}"
        + (f", tasks {request.tasks}" if request.tasks else "")
    )
