"""A worker's share of a run, streamed with ansible-runner's transmit -> worker -> process.

The controller builds the run's private data folder as the worker will see it (the
playbooks inside it, every path in it the worker's own), sends it with ``transmit``
down the transport's input, and replays the worker's events with ``process``, on a
thread of its own. The input stays open until the events have ended: the worker program
(:mod:`asp_provision.worker`) takes its closing for a stop, so closing it is how a run
is cancelled, and a lost connection cancels the run too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path, PurePosixPath
from typing import IO, Any

from asp_provision.run.ansible_env import ansible_settings
from asp_provision.run.inventory import Host, build_inventory
from asp_provision.run.playbook import entry_playbook
from asp_provision.run.private import FOLDER
from asp_provision.run.workers import Worker, WorkerSide
from asp_provision.site.tls import CERT_NAME, KEY_NAME, TlsFiles

PLAYBOOKS = "playbooks"
_WAIT = 60.0  # how long a lost worker is asked whether its run has ended
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "README.md")


@dataclasses.dataclass(frozen=True, slots=True)
class Remote:
    """Where a run's private folder is on its worker, and that worker's settings."""

    worker: Worker
    side: WorkerSide
    name: str  # the private folder's name, the same here and on the worker

    @property
    def folder(self) -> PurePosixPath:
        """The private folder's path on the worker."""
        return PurePosixPath(self.side.folder) / FOLDER / self.name

    def path(self, *parts: str) -> str:
        """A path inside the private folder on the worker."""
        return str(self.folder.joinpath(*parts))


def worker_hosts(hosts: list[Host], remote: Remote, private: Path) -> list[Host]:
    """``hosts`` as the worker runs them: its site, its Python, files in the private folder.

    A customer's certificate and key and its data conversion's source are copied into
    ``private`` (which travels to the worker); the served local site is this host's,
    so the worker's customers are not checked against it.
    """
    out = []
    for host in hosts:
        changes: dict[str, Any] = {
            "site": Path(remote.side.site) / host.customer,
            "python": remote.side.python,
            "served": None,
        }
        if host.tls is not None:
            folder = private / "tls" / host.customer
            folder.mkdir(parents=True, mode=0o700)
            shutil.copyfile(host.tls.certificate, folder / CERT_NAME)
            shutil.copyfile(host.tls.key, folder / KEY_NAME)
            # the worker program moves them to where they stay (asp_provision.worker)
            kept = PurePosixPath(remote.side.folder) / "tls" / host.customer
            changes["tls"] = TlsFiles(Path(kept / CERT_NAME), Path(kept / KEY_NAME))
        if host.workspace is not None:
            changes["workspace"] = Path(remote.path("workspace", host.customer))
            _copy_source(host, private / "workspace" / host.customer)
        out.append(dataclasses.replace(host, **changes))
    return out


def _copy_source(host: Host, target: Path) -> None:
    """The customer's data conversion source, at the same place below ``target``."""
    from asp_provision.plan.derived import conversion_source

    assert host.workspace is not None
    onboarding = host.document["spec"].get("onboarding")
    source = conversion_source(onboarding, host.workspace)
    if source is None or not Path(source).is_file():
        return  # the step reports the missing file on the worker, as it does here
    relative = Path(source).relative_to(host.workspace)
    (target / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target / relative)


def build_folder(
    private: Path,
    remote: Remote,
    hosts: list[Host],
    steps: list[str],
    playbooks: Path,
    teardown: bool,
    tasks: str | None,
) -> tuple[Path, dict[str, str]]:
    """Fill ``private`` for the worker: the inventory's path and the environment to run with."""
    shutil.copytree(playbooks, private / PLAYBOOKS, ignore=_SKIP)
    project = private / "project"
    project.mkdir()
    worker_playbooks = Path(remote.path(PLAYBOOKS))
    (project / "main.yml").write_text(
        json.dumps(entry_playbook(steps, worker_playbooks, teardown, tasks), indent=1)
    )
    inventory = private / "inventory"
    inventory.mkdir()
    hosts_file = inventory / "hosts.json"
    hosts_file.write_text(json.dumps(build_inventory(worker_hosts(hosts, remote, private), steps)))
    hosts_file.chmod(0o600)
    # the worker's own paths; its PATH and strategy are the worker program's to set
    env = ansible_settings(worker_playbooks, worker_playbooks / "roles", remote.path("tmp"))
    return hosts_file, env


class Transport:
    """The worker program at the far end of a pipe: ssh, or a process of this host."""

    def __init__(self, remote: Remote) -> None:
        self.remote = remote
        command = remote.worker.command(remote.side, "--name", remote.name)
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            # Ctrl-C reaches us, not the transport: we stop the run through it
            start_new_session=True,
        )
        self.closed = False

    @property
    def input(self) -> IO[bytes]:
        assert self.process.stdin is not None
        return self.process.stdin

    @property
    def output(self) -> IO[bytes]:
        assert self.process.stdout is not None
        return self.process.stdout

    def close_input(self) -> None:
        """The worker's cue that the run is over, or to stop it."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                self.input.close()

    def kill(self) -> None:
        """Drop the connection: the worker program stops the run on its own."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()

    def finish(self) -> tuple[int, str]:
        """Wait for the transport to end: its exit code and the last of what it said."""
        self.close_input()
        try:
            rc = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = self.process.wait()
        self.stderr.seek(0)
        said = self.stderr.read()[-2000:].decode("utf-8", "replace").strip()
        self.stderr.close()
        return rc, said

    def ended(self, timeout: float = _WAIT) -> bool:
        """Whether the worker says the run is over (asked anew: the old connection is gone)."""
        command = self.remote.worker.command(
            self.remote.side, "--wait", self.remote.name, "--timeout", str(timeout)
        )
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            done = subprocess.run(
                command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout + 30
            )
            return done.returncode == 0
        return False


def forget_certificate(worker: Worker, side: WorkerSide, customer: str) -> bool:
    """Remove the certificate and key ``worker`` keeps for ``customer``; False if it could not."""
    command = worker.command(side, "--forget", customer)
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        return done.returncode == 0
    return False


class StreamThread(threading.Thread):
    """Transmit, then process the worker's events until their end, on one thread."""

    def __init__(
        self,
        transport: Transport,
        private: Path,
        run_kwargs: dict[str, Any],
        handler: Any,
    ) -> None:
        super().__init__(daemon=True)
        self.transport = transport
        self.private = private
        self.run_kwargs = run_kwargs
        self.handler = handler
        self.status = "unstarted"
        self.explanation: str | None = None
        self.ended = False  # the worker's stream ended with its end marker

    def run(self) -> None:
        import ansible_runner.interface

        # interface.run sends (or replays) the whole stream before it returns
        try:
            ansible_runner.interface.run(
                streamer="transmit",
                _output=self.transport.input,
                private_data_dir=str(self.private),
                cancel_callback=lambda: False,
                **self.run_kwargs,
            )
        except OSError as exc:  # the transport ended first: its events say why
            self.explanation = f"the run could not be sent: {exc.strerror or exc}"
        processor = ansible_runner.interface.run(
            streamer="process",
            _input=self.transport.output,
            private_data_dir=str(self.private),
            event_handler=self.handler,
            status_handler=self._status,
            cancel_callback=lambda: False,
            quiet=True,
        )
        self.status = str(processor.status)

    def _status(self, data: dict[str, Any], runner_config: Any = None) -> None:
        self.status = str(data.get("status") or self.status)
        if data.get("job_explanation"):
            self.explanation = str(data["job_explanation"])
        if self.status in ("successful", "failed", "canceled", "timeout"):
            self.ended = True
