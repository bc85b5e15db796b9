"""The jobs of a run: here, through ansible-runner's interface, or a worker's share.

A worker's share is streamed to it. Each job turns its events into ours with a tracker
and says how it ended.

ansible-runner is imported here and in :mod:`asp_provision.run.stream` only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asp_provision.run.ansible_env import ansible_settings, own_tools
from asp_provision.run.events import Event
from asp_provision.run.inventory import build_inventory
from asp_provision.run.playbook import entry_playbook
from asp_provision.run.request import RunOutcome, RunRequest
from asp_provision.run.runlog import RunLog
from asp_provision.run.stream import Remote, StreamThread, Transport, build_folder
from asp_provision.run.tracker import Tracker
from asp_provision.run.workers import Worker

Emit = Callable[[Event], None]

_STOP_GRACE = 20.0
_SIGINT_AGAIN = 1.0


def _environment(request: RunRequest, private: Path, roles: Path) -> dict[str, str]:
    return {
        **own_tools(request.mitogen),
        **ansible_settings(request.playbooks, roles, str(private / "tmp")),
    }


class Job:
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


class LocalJob(Job):
    """The run on this host, through ansible-runner's interface."""

    def __init__(
        self,
        request: RunRequest,
        private: Path,
        roles: Path,
        log: RunLog,
        emit: Emit,
        customers: tuple[str, ...] | None = None,
    ) -> None:
        """``customers``: this job's share of the run's (None: all of them)."""
        import ansible_runner.interface

        self.request = request
        self.tracker = Tracker(request, emit, customers)
        hosts = [h for h in request.hosts if customers is None or h.customer in customers]
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
        hosts_file.write_text(json.dumps(build_inventory(hosts, request.steps, local)))
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
            limit=",".join(h.customer for h in hosts),
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


class StreamJob(Job):
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
