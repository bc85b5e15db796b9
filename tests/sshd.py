"""An OpenSSH server on loopback for the tests of workers: its own config and fresh keys.

The server is the test session's own: a host key and a client key made for it, an
authorized-keys file of its own, a free port of 127.0.0.1. Workers reach it through the
user's OpenSSH client with a client configuration (``ssh -F``) that names two host
aliases, ``worker-a`` and ``worker-b``, so two workers on one machine are two names, as
two hosts would be. Without sshd the tests that need it are skipped, unless
ASP_REQUIRE_CHECKERS is set (CI): then they fail.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.postgres import unavailable

ALIASES = ("worker-a", "worker-b")


@dataclass
class Sshd:
    """A running server and the client configuration that reaches it."""

    folder: Path
    port: int
    client_config: Path
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary() -> str | None:
    return shutil.which("sshd") or next(
        (p for p in ("/usr/sbin/sshd",) if os.access(p, os.X_OK)), None
    )


def start_sshd(folder: Path) -> Sshd:
    """Start sshd on loopback, serving only the key made here, for the current user."""
    sshd = _binary()
    if sshd is None or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        unavailable("OpenSSH (sshd, ssh, ssh-keygen) is not installed")
        raise AssertionError  # unreachable: unavailable() skips or fails
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    for key in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key)], check=True
        )
    authorized = folder / "authorized_keys"
    shutil.copyfile(folder / "client_key.pub", authorized)
    authorized.chmod(0o600)
    port = _free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {folder / 'host_key'}\n"
        f"PidFile {folder / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\n"
        "StrictModes no\n"
        "UsePAM no\n"
        "X11Forwarding no\n"
        "AllowTcpForwarding no\n"
        "PrintMotd no\n"
        "MaxStartups 50\n"
        "MaxSessions 50\n"
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # its privilege separation folder
    log = (folder / "sshd.log").open("ab")
    process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=log, stderr=log)
    client = folder / "ssh_config"
    client.write_text(
        f"Host {' '.join(ALIASES)}\n"
        "  HostName 127.0.0.1\n"
        f"  Port {port}\n"
        f"  User {getpass.getuser()}\n"
        f"  IdentityFile {folder / 'client_key'}\n"
        "  IdentitiesOnly yes\n"
        "  StrictHostKeyChecking accept-new\n"
        f"  UserKnownHostsFile {folder / 'known_hosts'}\n"
        "  LogLevel ERROR\n"
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sshd did not start: {(folder / 'sshd.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    server = Sshd(folder, port, client, process)
    probe = subprocess.run(
        ["ssh", "-F", str(client), "-o", "BatchMode=yes", ALIASES[0], "true"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        stop_sshd(server)
        raise AssertionError(f"ssh to the test server failed: {probe.stderr}")
    return server


def stop_sshd(server: Sshd) -> None:
    """Stop the server (the sessions it started end with it)."""
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
