"""The worker side of a streamed run: ``python -m asp_provision.worker``.

A controller reaches a worker host through a pipe (``ssh``): it sends a run as
ansible-runner's transmit stream and reads the events back. This program stands between
that pipe and ``ansible-runner worker``:

- the run's private folder is made under ``--dir`` (0700, held by a lock while the run
  lives) with the name the controller gave, and removed when the run ends, whatever
  ended it; folders of earlier runs that were killed are removed first;
- the run's files are unpacked here, and its customers' certificates and keys moved to
  ``--dir``/tls/CUSTOMER/ (0600), where the site's web server reads them after the run;
  ``ansible-runner worker`` then gets the run's options alone;
- the controller keeps its end of the input open for the whole run, so the input
  closing means the controller stopped the run or was lost: the run is then cancelled
  (SIGINT to its ansible-playbook, as Ctrl-C does, then SIGKILL) without a write to the
  closed channel first, which could end this program before it cancels anything;
- ``--forget CUSTOMER`` removes the certificate and key kept for a customer destroyed;
- ``--wait NAME`` tells (exit 0) once the run of that name is over, or exits 3 when it
  is still alive after ``--timeout`` seconds: a controller that lost a worker asks it
  before it frees the customers of that run.

It imports only the standard library and :mod:`asp_provision.run.private`, and runs
ansible-runner, ansible-playbook and mitogen of this host's Python: its paths and
plugins are the worker's own, never the controller's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from asp_provision.errors import UserError
from asp_provision.run.ansible_env import own_tools
from asp_provision.run.private import is_name, over, private_dir, private_folder, sweep
from asp_provision.state.process import alive

CERT_NAME, KEY_NAME = "tls.crt", "tls.key"  # as the controller sends them
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")

STILL_RUNNING = 3
"""Exit code of ``--wait`` when the run is still alive."""

_CHUNK = 65536
_SIGINT_AGAIN = 1.0
_STOP_GRACE = 20.0


def worker_environment(mitogen: bool) -> dict[str, str]:
    """The environment of ansible-runner here: its own tools first on the path."""
    return {**os.environ, **own_tools(mitogen)}


class _Run:
    """One ``ansible-runner worker`` and the pid of its ansible-playbook, once known."""

    def __init__(self, folder: Path, mitogen: bool, note_pid: object) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ansible_runner", "worker", "--private-data-dir", str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=worker_environment(mitogen),
            start_new_session=True,
        )
        self.note_pid = note_pid
        self.playbook_pid: int | None = None
        self.output_open = True

    def forward_output(self, out: IO[bytes]) -> None:
        """Copy the worker's stream to ``out``; on a closed channel, keep reading it only."""
        assert self.process.stdout is not None
        pending = b""
        fd = self.process.stdout.fileno()
        while chunk := os.read(fd, _CHUNK):
            if self.playbook_pid is None:
                pending = self._find_pid(pending + chunk)
            if self.output_open:
                try:
                    out.write(chunk)
                    out.flush()
                except OSError:
                    self.output_open = False

    def _find_pid(self, data: bytes) -> bytes:
        """The events' pid is ansible-playbook's: the one a cancel must reach."""
        *lines, rest = data.split(b"\n")
        for line in lines:
            if b'"pid"' not in line or b'"event"' not in line:
                continue
            with contextlib.suppress(ValueError):
                pid = json.loads(line).get("pid")
                if isinstance(pid, int) and pid > 0:
                    self.playbook_pid = pid
                    self.note_pid(pid)  # type: ignore[operator]
                    return b""
        return rest[-_CHUNK:]

    def start(self, job: bytes) -> None:
        """Give the worker the run's options; its files are in place already."""
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):
            self.process.stdin.write(job + b"\n" + json.dumps({"eof": True}).encode() + b"\n")
            self.process.stdin.close()

    def cancel(self) -> None:
        """Stop the run: SIGINT to ansible-playbook (again each second), SIGKILL at the end."""
        deadline = time.monotonic() + _STOP_GRACE
        while self.process.poll() is None and time.monotonic() < deadline:
            if self.playbook_pid is not None:
                _signal(self.playbook_pid, signal.SIGINT)
            else:
                _signal(self.process.pid, signal.SIGTERM)  # not started yet
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(_SIGINT_AGAIN)
        if self.process.poll() is None:
            if self.playbook_pid is not None:
                _signal(self.playbook_pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        if self.playbook_pid is not None:
            # its forks run in sessions of their own: wait for the playbook to be gone
            end = time.monotonic() + _STOP_GRACE
            while alive(self.playbook_pid) and time.monotonic() < end:
                time.sleep(0.1)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def receive(source: IO[bytes], folder: Path) -> bytes:
    """Unpack the transmit stream's files into ``folder``; the line of the run's options."""
    from ansible_runner.utils.streaming import unstream_dir

    job = b""
    while line := source.readline():
        data = json.loads(line)
        if "kwargs" in data:
            job = line.rstrip(b"\n")
        elif "zipfile" in data:
            unstream_dir(source, int(data["zipfile"]), str(folder))
        elif "eof" in data:
            return job
    raise UserError("the controller's stream ended before the whole run had arrived")


def install_certificates(folder: Path, root: Path) -> None:
    """Move the run's certificates and keys (``tls/<customer>/``) to ``root/tls/``, 0600.

    They outlive the run: the site's web server reads them where they are.
    """
    source = folder / "tls"
    if not source.is_dir():
        return
    target_root = root / "tls"
    private_folder(target_root)
    for customer in sorted(os.listdir(source)):
        if not _SLUG.fullmatch(customer):
            raise UserError(f"the run holds certificates of a malformed customer name {customer!r}")
        target = target_root / customer
        private_folder(target)
        for name in sorted(os.listdir(source / customer)):
            if name not in (CERT_NAME, KEY_NAME):
                continue
            fd, temporary = tempfile.mkstemp(dir=target, prefix=".incoming-")
            with os.fdopen(fd, "wb") as out:
                out.write((source / customer / name).read_bytes())
            os.replace(temporary, target / name)
    shutil.rmtree(source)


def serve(folder_root: Path, name: str, mitogen: bool) -> int:
    """Run the stream of stdin in private folder ``name``; the events go to stdout."""
    sweep(folder_root)
    with private_dir(folder_root, name) as holder:
        stdin = sys.stdin.buffer
        job = receive(stdin, holder.path)
        install_certificates(holder.path, folder_root)
        run = _Run(holder.path, mitogen, holder.note_pid)
        out = threading.Thread(target=run.forward_output, args=(sys.stdout.buffer,), daemon=True)
        out.start()
        run.start(job)
        # the controller keeps its end open until it has read the run's end
        while stdin.read(_CHUNK):
            pass
        # the input closed: a finished run closes it after its end; otherwise stop it
        if run.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.process.wait(0.5)  # the end of the stream and the close cross
        if run.process.poll() is None:
            run.output_open = False  # nobody reads it any more
            run.cancel()
        rc = run.process.wait()
        out.join(timeout=_STOP_GRACE)
        return rc


def main(argv: list[str] | None = None) -> int:
    # the channel closing must not end this program before it has stopped the run
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    parser = argparse.ArgumentParser(prog="python -m asp_provision.worker")
    parser.add_argument("--dir", required=True, type=Path, help="where runs' private folders go")
    parser.add_argument("--name", help="the run's private folder, named by its controller")
    parser.add_argument("--wait", metavar="NAME", help="wait until the run NAME is over")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument(
        "--forget", metavar="CUSTOMER", help="remove the certificate and key kept for CUSTOMER"
    )
    parser.add_argument("--no-mitogen", action="store_true")
    args = parser.parse_args(argv)
    if args.forget is not None:
        if not _SLUG.fullmatch(args.forget) or not args.dir.is_absolute():
            parser.error("give --dir as an absolute path and --forget as a customer's name")
        shutil.rmtree(args.dir / "tls" / args.forget, ignore_errors=True)
        return 0
    name = args.wait or args.name
    if not name or not is_name(name) or not args.dir.is_absolute():
        parser.error("give --dir as an absolute path and --name or --wait as a run's name")
    if args.wait:
        return 0 if over(args.dir, name, args.timeout) else STILL_RUNNING
    try:
        return serve(args.dir, name, not args.no_mitogen)
    except UserError as exc:
        print(f"asp-provision worker: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
