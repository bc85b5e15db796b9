"""What a run's ansible-runner events mean: where each step starts and ends per customer.

The events of a run here and of a run streamed from a worker are the same; one tracker
follows one run (a worker's share of the customers, or all of them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from asp_provision.run.events import (
    Event,
    RunStarted,
    StepFinished,
    StepStarted,
    TaskResult,
    TaskStarted,
)
from asp_provision.run.playbook import MARKER

if TYPE_CHECKING:
    from asp_provision.run.request import RunRequest


class Tracker:
    """Turns ansible-runner events into ours, finding where each step ends per customer."""

    def __init__(
        self,
        request: RunRequest,
        emit: Callable[[Event], None],
        customers: tuple[str, ...] | None = None,
        remote: bool = False,
    ) -> None:
        self.request = request
        self.emit = emit
        hosts = [h for h in request.hosts if customers is None or h.customer in customers]
        self.customers = tuple(h.customer for h in hosts)
        self.members = {s: [h.customer for h in hosts if s in h.steps] for s in request.steps}
        self.remote = remote  # the events' pid is a worker host's: not ours to signal
        self.events = 0
        self.finished: dict[str, int] = {}  # steps finished, by customer
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
        self.events += 1
        if self.pid is None and event.get("pid") and not self.remote:
            self.pid = int(event["pid"])
            self.emit(RunStarted(self.pid, self.customers))
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

    @property
    def done(self) -> set[str]:
        """The customers whose run is over here: failed, or every step of theirs finished."""
        steps = {c: sum(c in m for m in self.members.values()) for c in self.customers}
        return set(self.failed) | {c for c in self.customers if self.finished.get(c) == steps[c]}

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
                self.finished[customer] = self.finished.get(customer, 0) + 1
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
