"""A throwaway PostgreSQL cluster for the tests: initdb, pg_ctl start, a database per test.

The cluster is the test session's own: its data and its socket live in a fresh folder and
it listens on a free port of 127.0.0.1, so a cluster the system runs (Debian's ``main``
on 5432) is neither used nor disturbed. As root, it runs as the ``postgres`` user
(PostgreSQL refuses root). Without PostgreSQL the tests that need it are skipped, unless
ASP_REQUIRE_CHECKERS is set (CI): then they fail.
"""

from __future__ import annotations

import glob
import itertools
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(versions[0]).parent if versions else None


def unavailable(message: str) -> None:
    """Skip, or fail where PostgreSQL must be there (CI)."""
    if os.environ.get("ASP_REQUIRE_CHECKERS"):
        pytest.fail(message + " (CI requires PostgreSQL)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster: its folder, its port, and how long it took to start."""

    folder: Path
    port: int
    started_in: float
    watchdog: subprocess.Popen[bytes] | None = None
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        """A URL of ``database`` over TCP on 127.0.0.1 (trust: any password is taken)."""
        secret = f":{password}" if password else ""
        return f"postgresql://postgres{secret}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"state_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.getuid() == 0 else argv


def start_cluster() -> Cluster:
    """initdb and start a cluster in a fresh folder (no fsync: it is thrown away)."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        unavailable("PostgreSQL (initdb) is not installed")
        raise AssertionError  # unreachable: skip and fail raise
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("the psycopg driver is not installed")
    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="asp-pg-"))
    (folder / "socket").mkdir()
    if os.getuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(folder / "socket", "postgres", "postgres")
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(folder / "data"),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ]
        ),
        **run,  # type: ignore[call-overload]
    )
    port = _free_port()
    options = (
        f"-p {port} -k {folder / 'socket'} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(folder / "data"),
                "-l",
                str(folder / "log"),
                "-o",
                options,
                "-w",
                "-s",
                "start",
            ]
        ),
        **run,  # type: ignore[call-overload]
    )
    return Cluster(folder, port, time.monotonic() - began, _watchdog(bin_dir, folder))


def _watchdog(bin_dir: Path, folder: Path) -> subprocess.Popen[bytes]:
    """A process that stops the cluster if the tests die without stopping it (a timeout)."""
    stop = shlex.join(
        _as_postgres(
            [str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "-s", "stop"]
        )
    )
    script = f'while kill -0 "$1" 2>/dev/null; do sleep 1; done; {stop}; rm -rf "$2"'
    return subprocess.Popen(
        ["sh", "-c", script, "sh", str(os.getpid()), str(folder)],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_cluster(cluster: Cluster) -> None:
    """Stop the cluster at once and remove its folder."""
    if cluster.watchdog is not None:
        cluster.watchdog.kill()
        cluster.watchdog.wait()
    bin_dir = _bin_dir()
    assert bin_dir is not None
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(cluster.folder / "data"),
                "-m",
                "immediate",
                "-s",
                "stop",
            ]
        ),
        check=False,
        capture_output=True,
    )
    shutil.rmtree(cluster.folder, ignore_errors=True)
