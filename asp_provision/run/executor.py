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
from typing import Any, TextIO

from asp_provision.errors import Interrupted
from asp_provision.plan.steps import ROLES
from asp_provision.run.events import (
    Event,
    RunStarted,
    StepFinished,
    StepStarted,
    TaskResult,
    TaskStarted,
)
from asp_provision.run.inventory import Host, build_inventory
from asp_provision.run.playbook import MARKER, entry_playbook
from asp_provision.run.private import PrivateDir, private_dir

ERROR_PREFIXES = ("[ERROR]", "ERROR!")
"""How Ansible's error lines start (ansible-core 2.19, and earlier releases)."""

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


@dataclass(slots=True)
class RunOutcome:
    """How a run ended."""

    status: str  # successful | failed | interrupted | error
    rc: int | None
    message: str | None = None
    seconds: float = 0.0
    failed_hosts: set[str] = field(default_factory=set)


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


class _Tracker:
    """Turns ansible-runner events into ours, finding where each step ends per customer."""

    def __init__(self, request: RunRequest, emit: Callable[[Event], None]) -> None:
        self.request = request
        self.emit = emit
        self.members = {
            s: [h.customer for h in request.hosts if s in h.steps] for s in request.steps
        }
        self.step: str | None = None
        self.step_started = 0.0
        self.task = ""
        self.failed: set[str] = set()  # customers out of the run
        self.failures: dict[str, tuple[str, str | None]] = {}  # in the current step
        self.changed: dict[str, int] = {}
        self.pid: int | None = None

    def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if self.pid is None and event.get("pid"):
            self.pid = int(event["pid"])
            self.emit(RunStarted(self.pid))
        if kind == "playbook_on_play_start":
            name = str(data.get("play") or data.get("name") or "")
            if name.startswith(MARKER):
                self.close_step()
                self.open_step(name.removeprefix(MARKER))
        elif kind == "playbook_on_task_start" and self.step:
            self.task = str(data.get("task") or data.get("name") or "")
            self.emit(TaskStarted(self.step, self.task))
        elif kind.startswith("runner_on_") and self.step:
            self.host_result(kind, data)
        elif kind == "playbook_on_stats":
            self.close_step()

    def open_step(self, step: str) -> None:
        self.step = step
        self.step_started = time.monotonic()
        self.failures = {}
        self.changed = {}
        customers = tuple(c for c in self.members.get(step, []) if c not in self.failed)
        self.emit(StepStarted(step, customers))

    def host_result(self, kind: str, data: dict[str, Any]) -> None:
        assert self.step is not None
        host = str(data.get("host", ""))
        res = data.get("res") or {}
        task = str(data.get("task") or self.task)
        message: str | None = None
        if kind == "runner_on_ok":
            status = "changed" if res.get("changed") else "ok"
        elif kind == "runner_on_skipped":
            status = "skipped"
        elif kind in ("runner_on_failed", "runner_on_unreachable"):
            if data.get("ignore_errors"):
                return
            status = "failed" if kind == "runner_on_failed" else "unreachable"
            message = _message(res)
            self.failed.add(host)
            self.failures.setdefault(host, (task, message))
        else:
            return
        if status == "changed":
            self.changed[host] = self.changed.get(host, 0) + 1
        diff = _diff_headers(res) if status == "changed" and self.request.check else []
        items = tuple(_labels(res, "changed")) if status == "changed" else ()
        self.emit(TaskResult(host, self.step, task, status, message, diff, items))

    def close_step(self, interrupted: bool = False) -> None:
        if self.step is None:
            return
        step, self.step = self.step, None
        if interrupted:
            return  # what was in flight did not finish: record nothing for it
        seconds = time.monotonic() - self.step_started
        for customer in self.members.get(step, []):
            if customer in self.failures:
                task, message = self.failures[customer]
                self.emit(
                    StepFinished(
                        customer, step, False, self.changed.get(customer, 0), seconds, task, message
                    )
                )
            elif customer not in self.failed:
                self.emit(
                    StepFinished(customer, step, True, self.changed.get(customer, 0), seconds)
                )


HIDDEN = (
    "the task failed and its output is hidden on purpose (no_log: it handles secrets); "
    "run it again in a safe place, or see the playbook, to find why"
)
"""What a failing ``no_log`` task says instead of its output."""

_UNREADABLE = "Module result deserialization failed"


def _message(res: dict[str, Any]) -> str:
    """Why a task failed, in the module's own words where it gave any."""
    if res.get("censored"):
        return HIDDEN
    looped = _looped(res)
    failed = [r for r in looped if r.get("failed") or r.get("unreachable")]
    if failed:
        # a looped task: what each failed item said, by its label (a file's name)
        return "; ".join(
            f"{label}: {_message(r)}" if label else _message(r)
            for r, label in zip(failed, _item_labels(failed), strict=True)
        )[:2000]
    msg = str(res.get("msg") or res.get("stderr") or res.get("reason") or "failed").strip()
    if msg.startswith(_UNREADABLE):
        msg = _module_crash(res) or msg
    return msg[:2000]


def _module_crash(res: dict[str, Any]) -> str | None:
    """What a module that gave no result said: its exception, or what it printed."""
    stderr = [ln for ln in str(res.get("module_stderr") or "").splitlines() if ln.strip()]
    stdout = str(res.get("module_stdout") or "").strip()
    rc = res.get("rc")
    if stderr:
        return f"the module failed (rc {rc}): {stderr[-1].strip()}"
    if stdout:
        return f"the module printed no result (rc {rc}), only: {stdout[:300]}"
    return None


def _looped(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The results of each item of a looped task (none for a task without a loop)."""
    results = res.get("results")
    return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []


def _item_labels(results: list[dict[str, Any]]) -> list[str]:
    """Each item's label (``loop_control.label``, else the item), or "" where it is hidden."""
    return [
        ""
        if r.get("censored") or r.get("_ansible_no_log")
        else str(r.get("_ansible_item_label", r.get("item", "")))
        for r in results
    ]


def _labels(res: dict[str, Any], flag: str) -> list[str]:
    """The labels of a looped task's items whose ``flag`` (changed, failed) is set."""
    chosen = [r for r in _looped(res) if r.get(flag)]
    return [label for label in _item_labels(chosen) if label]


def _diff_headers(res: dict[str, Any]) -> list[str]:
    diffs = res.get("diff") or []
    if isinstance(diffs, dict):
        diffs = [diffs]
    for r in _looped(res):
        item = r.get("diff") or []
        diffs = [*diffs, *([item] if isinstance(item, dict) else item)]
    out = []
    for d in diffs:
        if isinstance(d, dict):
            header = d.get("after_header") or d.get("before_header")
            if header:
                out.append(str(header))
    return out


class Executor:
    """Runs a :class:`RunRequest` through ansible-runner."""

    def __init__(
        self, on_event: Callable[[Event], None], on_tick: Callable[[], None] | None = None
    ):
        self.on_event = on_event
        self.on_tick = on_tick or (lambda: None)

    def run(self, request: RunRequest) -> RunOutcome:
        """Run to the end, or until Ctrl-C; events reach ``on_event`` on this thread."""
        import ansible_runner.interface

        request.log_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:
            if request.asp_dir is None:
                private = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asp-run-")))
                holder = None
            else:
                holder = stack.enter_context(private_dir(request.asp_dir))
                private = holder.path
            # Ansible evaluates the folders of its roles path as templates, and reads a role
            # name holding a comma as a requirement: the workspace's roles (whose path may
            # hold "{{" or commas) are reached through a link in a folder of our own
            links = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asp-roles-")))
            (links / "roles").symlink_to(request.playbooks / ROLES)
            return self._run(ansible_runner, request, private, holder, links / "roles")

    def _run(
        self,
        ansible_runner: Any,
        request: RunRequest,
        private: Path,
        holder: PrivateDir | None,
        roles: Path,
    ) -> RunOutcome:
        events: queue.Queue[Event] = queue.Queue()

        def emit(event: Event) -> None:
            if isinstance(event, RunStarted) and holder is not None:
                holder.note_pid(event.pid)
            events.put(event)

        tracker = _Tracker(request, emit)
        log = (request.log_dir / "ansible.log").open("a", encoding="utf-8")
        cancel = {"now": False}
        started = time.monotonic()
        try:
            (private / "tmp").mkdir()
            project = private / "project"
            project.mkdir()
            (project / "main.yml").write_text(
                json.dumps(
                    entry_playbook(
                        request.steps, request.playbooks, request.teardown, request.tasks
                    ),
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
            log.write(
                f"# asp-provision: strategy {envvars.get('ANSIBLE_STRATEGY', 'linear')}, "
                f"forks {request.forks}, check {request.check}, teardown {request.teardown}"
                + (f", tasks {request.tasks}" if request.tasks else "")
                + "\n"
            )

            def handler(event: dict[str, Any]) -> bool:
                _log_stdout(log, event)
                tracker.handle(event)
                return False  # keep events off disk: we keep what we need

            runner = ansible_runner.interface.init_runner(
                private_data_dir=str(private),
                playbook="main.yml",
                inventory=inventories,
                limit=",".join(h.customer for h in request.hosts),
                envvars=envvars,
                forks=request.forks,
                cmdline="--check --diff" if request.check else None,
                event_handler=handler,
                cancel_callback=lambda: cancel["now"],
                quiet=True,
                suppress_env_files=True,
                settings={"suppress_output_file": True, "suppress_ansible_output": True},
            )
            # ansible-runner gives ansible-playbook (and records in artifacts/<id>/command)
            # a copy of our whole environment: the variables that hold secrets stay out
            config_env = runner.config.env
            for name in request.hidden_env:
                config_env.pop(name, None)
            thread = threading.Thread(target=runner.run)
            thread.start()
            interrupted = self._wait(thread, tracker, events, cancel)
            self._drain(events)
            if interrupted:
                tracker.close_step(interrupted=True)
                self._drain(events)
                return RunOutcome(
                    "interrupted",
                    runner.rc,
                    "interrupted",
                    time.monotonic() - started,
                    set(tracker.failed),
                )
            status = str(runner.status)
            rc = runner.rc
            if status == "successful":
                return RunOutcome("successful", rc, None, time.monotonic() - started)
            if tracker.failed:
                return RunOutcome(
                    "failed", rc, None, time.monotonic() - started, set(tracker.failed)
                )
            log.flush()  # the tail is read back from the file
            return RunOutcome(
                "error", rc, _tail(request.log_dir / "ansible.log"), time.monotonic() - started
            )
        finally:
            log.close()

    def _drain(self, events: queue.Queue[Event]) -> None:
        while True:
            try:
                event = events.get_nowait()
            except queue.Empty:
                return
            self.on_event(event)

    def _wait(
        self, thread: Any, tracker: _Tracker, events: queue.Queue[Event], cancel: dict[str, bool]
    ) -> bool:
        """Poll until the run ends; on Ctrl-C stop ansible-playbook and say so."""
        try:
            while thread.is_alive():
                time.sleep(_POLL)
                self._drain(events)
                self.on_tick()
            return False
        except (KeyboardInterrupt, Interrupted, StopRun):
            pass
        _stop(tracker.pid, signal.SIGINT)
        now = time.monotonic()
        deadline, again = now + _STOP_GRACE, now + _SIGINT_AGAIN
        while thread.is_alive():
            try:
                time.sleep(_POLL)
                self._drain(events)
            except (KeyboardInterrupt, Interrupted):
                deadline = 0.0  # asked twice: stop now
            except StopRun:
                pass  # already stopping
            now = time.monotonic()
            if now > deadline:
                cancel["now"] = True
                _stop(tracker.pid, signal.SIGKILL)
            elif now > again:
                # ansible-playbook can miss a SIGINT that lands at some points of a task
                # (it then runs on, or waits forever); asking again stops it
                _stop(tracker.pid, signal.SIGINT)
                again = now + _SIGINT_AGAIN
        return True


def _stop(pid: int | None, sig: signal.Signals) -> None:
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _log_stdout(log: TextIO, event: dict[str, Any]) -> None:
    text = event.get("stdout")
    if text:
        log.write(text.rstrip("\n") + "\n")


def _tail(path: Path, lines: int = 15) -> str:
    """Why the run failed, from its log: from Ansible's first error on, else the last lines."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return "ansible-playbook failed"
    logged = [ln for ln in text.splitlines() if not ln.startswith("# asp-provision:")]
    first = next((i for i, ln in enumerate(logged) if ln.startswith(ERROR_PREFIXES)), None)
    shown = logged[first : first + lines] if first is not None else logged[-lines:]
    return "\n".join(shown) or "ansible-playbook failed"
