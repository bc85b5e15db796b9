"""A loopback sshd for the session, and workspaces whose runs go to workers."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sshd import Sshd, start_sshd, stop_sshd


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """An OpenSSH server on 127.0.0.1 with the aliases worker-a and worker-b."""
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    stop_sshd(server)


def use_workers(
    ws: Path, workers: list[str], site: Path, folder: Path, ssh_config: Path | None = None
) -> None:
    """Settings that send the runs of ``ws`` to ``workers``, this Python on their side."""
    lines = [
        "workers = [" + ", ".join(f'"{w}"' for w in workers) + "]",
        f'worker_site = "{site}"',
        f'worker_python = "{sys.executable}"',
        f'worker_dir = "{folder}"',
    ]
    if ssh_config is not None:
        lines.append(f'ssh_config = "{ssh_config}"')
    (ws / "asp-provision.toml").write_text("\n".join(lines) + "\n")


def processes_with(text: str) -> list[int]:
    """Processes whose command line holds ``text`` (a run's folder on a worker)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if text.encode() in cmdline:
                found.append(int(proc.name))
    return found
