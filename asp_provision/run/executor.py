"""The executor: the ansible-runner runs of every customer and step of a plan.

One run here, or one per worker, each streamed to its worker (see
:mod:`asp_provision.run.jobs`). Their events arrive on the runners' threads; they are
queued and handled on the caller's thread, which also keeps the state database on one
thread. Ctrl-C is forwarded to the ansible-playbook process itself (ansible-runner's own
cancel stops only its process group, and ansible-core's workers would finish the task in
flight), or to each worker through its connection.
"""

from __future__ import annotations

import contextlib
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from asp_provision.errors import Interrupted
from asp_provision.plan.steps import ROLES
from asp_provision.run.events import Event, RunStarted
from asp_provision.run.jobs import _SIGINT_AGAIN, _STOP_GRACE, Job, LocalJob, StreamJob
from asp_provision.run.private import PrivateDir, private_dir
from asp_provision.run.request import RunOutcome, RunRequest, StopRun
from asp_provision.run.runlog import RunLog
from asp_provision.run.workers import LOCAL, Worker

LOG = "ansible.log"
"""The run's log in its folder of runs: Ansible's output, for every worker of the run."""

_POLL = 0.05


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

        def emitter(holder: PrivateDir | None) -> Callable[[Event], None]:
            def emit(event: Event) -> None:
                if isinstance(event, RunStarted) and holder is not None:
                    holder.note_pid(event.pid)  # the job's ansible-playbook, which may outlive us
                events.put(event)

            return emit

        started = time.monotonic()
        lock = threading.Lock()
        with contextlib.ExitStack() as stack:
            file = stack.enter_context((request.log_dir / LOG).open("a", encoding="utf-8"))
            jobs: list[Job] = []
            # Ansible evaluates the folders of its roles path as templates, and reads a
            # role name holding a comma as a requirement: the workspace's roles (whose
            # path may hold "{{" or commas) are reached through a link of our own
            links = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asp-roles-")))
            (links / "roles").symlink_to(request.playbooks / ROLES)
            shards: Sequence[tuple[Worker | None, tuple[str, ...] | None]] = request.shards or [
                (None, None)
            ]
            several = len(shards) > 1
            for worker, customers in shards:
                private, holder = self._private(stack, request)
                log = RunLog(file, lock, f"{worker.name} | " if several and worker else "")
                emit = emitter(holder)
                if worker is None or worker.transport == LOCAL:
                    job: Job = LocalJob(request, private, links / "roles", log, emit, customers)
                else:
                    assert customers is not None  # a worker always has its share
                    job = StreamJob(request, worker, customers, private, private.name, log, emit)
                jobs.append(job)
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

    def _wait(self, jobs: list[Job], events: queue.Queue[Event]) -> bool:
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
