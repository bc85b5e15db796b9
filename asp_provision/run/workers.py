"""Worker hosts: where a run's customers are streamed to, and how each is reached.

A worker is named in the settings (``workers = ["ssh://deploy@host-a", ...]``) and
reached through a transport:

- ``ssh://[user@]host[:port]``: the user's own OpenSSH client and configuration (so a
  host alias of ``~/.ssh/config``, with its user, port and key, is a worker name), with
  ``python -m asp_provision.worker`` on the far end;
- ``pipe://``: the same stream to a worker process on this host, through a pipe (no
  network: to try a worker's setup, or to compare with a run here).

A receptor mesh would be a third transport: a ``receptorctl work submit`` of the
``ansible-runner`` work type carrying the same stream. It plugs in at :meth:`Worker.command`.

This module imports nothing heavy: the settings check worker names with it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SSH, PIPE = "ssh", "pipe"
LOCAL = "local"  # a job of a run here: an ansible-playbook of its own, no worker host

# a host name or ~/.ssh/config alias, a user name: never an option (a leading dash) or
# anything a shell or ssh would read as more than a name
_HOST = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"
_USER = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"
_SSH_URL = re.compile(
    rf"ssh://(?:(?P<user>{_USER})@)?(?P<host>{_HOST})(?::(?P<port>[0-9]{{1,5}}))?"
)


@dataclass(frozen=True, slots=True)
class WorkerSide:
    """The worker hosts' own settings: their paths, never the controller's."""

    site: str
    python: str
    folder: str  # where runs' private folders go
    mitogen: bool = True
    ssh_config: Path | None = None  # the OpenSSH client's configuration (ssh -F)


@dataclass(frozen=True, slots=True)
class Worker:
    """One worker host, as the settings name it."""

    name: str  # as written in the settings: what status and the run record show
    transport: str
    host: str | None = None
    user: str | None = None
    port: int | None = None

    def command(self, side: WorkerSide, *arguments: str) -> list[str]:
        """The command that runs the worker program with ``arguments`` on this worker."""
        remote = [side.python, "-m", "asp_provision.worker", "--dir", side.folder, *arguments]
        if not side.mitogen:
            remote.append("--no-mitogen")
        if self.transport == PIPE:
            return remote
        assert self.host is not None
        ssh = ["ssh", "-T", "-o", "BatchMode=yes", "-o", "ServerAliveInterval=10"]
        if side.ssh_config is not None:
            ssh += ["-F", str(side.ssh_config)]
        if self.user:
            ssh += ["-l", self.user]
        if self.port:
            ssh += ["-p", str(self.port)]
        # ssh hands its command to the worker user's shell: every word is quoted
        return [*ssh, "--", self.host, shlex.join(remote)]


def local_jobs(count: int) -> list[Worker]:
    """``count`` jobs of a run here, each an ansible-playbook with a share of the customers."""
    return [Worker(f"job {n}", LOCAL) for n in range(1, count + 1)]


def parse(name: str) -> Worker:
    """The worker named ``name``; ValueError says what is wrong with it."""
    if name == "pipe://":
        return Worker(name, PIPE)
    found = _SSH_URL.fullmatch(name)
    if found is None:
        raise ValueError(
            f"{name!r} is not a worker: give ssh://[user@]host[:port] (a host name or an "
            "alias of your ssh configuration) or pipe://"
        )
    port = int(found["port"]) if found["port"] else None
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"{name!r}: the port must be between 1 and 65535")
    return Worker(name, SSH, found["host"], found["user"], port)


# what Ansible reads in its plugin and roles paths as more than a folder (a template, a
# list), and what a shell would read as more than a word, never reaches them
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9_.+@/-]*")


def worker_path(value: str, what: str, plain: bool = False) -> str:
    """``value`` if it is an absolute path a worker can use, else ValueError.

    ``plain``: only letters, digits and ``_.+@/-`` (a path Ansible and ssh get as such).
    """
    if not value.startswith("/") or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"the {what} {value!r} must be an absolute path of the worker hosts")
    if plain and not _PLAIN_PATH.fullmatch(value):
        raise ValueError(
            f"the {what} {value!r} may hold only letters, digits and _.+@/- "
            "(it reaches Ansible's settings and the worker's shell)"
        )
    return str(PurePosixPath(value))


def shard(
    customers: Sequence[str],
    hours: Mapping[str, float],
    workers: Sequence[Worker],
    placed: Mapping[str, str] | None = None,
) -> dict[Worker, list[str]]:
    """The customers of a run, one share per worker, balanced by estimated hours.

    A customer ``placed`` on a worker (customer -> worker name) stays there while that
    worker is in ``workers``. The others go longest first, each to the worker with the
    least so far (ties: the earlier worker); a worker with nothing to do is left out.
    The order of ``customers`` is kept within each share.
    """
    load = {w: 0.0 for w in workers}
    by_name = {w.name: w for w in workers}
    owner: dict[str, Worker] = {}
    for customer in sorted(customers, key=lambda c: -hours.get(c, 0.0)):
        home = by_name.get((placed or {}).get(customer, ""))
        worker = home or min(workers, key=lambda w: load[w])
        owner[customer] = worker
        load[worker] += max(hours.get(customer, 0.0), 0.001)
    shares = {w: [c for c in customers if owner[c] == w] for w in workers}
    return {w: cs for w, cs in shares.items() if cs}
