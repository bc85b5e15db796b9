"""Serve the local site with nginx: every customer's virtual host, over HTTPS, on loopback.

``site serve`` writes one nginx configuration in ``<site>/_nginx/`` (a name no customer
can have) that includes each customer's virtual host as the application step wrote it,
rewritten for the served ports: HTTPS on ``127.0.0.1:<port>``, the redirect on
``127.0.0.1:<http_port>``, loopback admitted beside the customer's allowlist, and the
upstream's application servers replaced by a placeholder application (a page naming the
customer, its tier and version) on a loopback port of its own. nginx runs as the invoking
user, with its pid file, logs and temporary files in that folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from asp_provision.site.nginxconf import Application, SiteError, nginx_config, read_application
from asp_provision.site.tls import NOT_IN_PATH
from asp_provision.site.vhost import VhostError, served_vhost
from asp_provision.state.process import alive

FOLDER = "_nginx"
"""The served site's folder under the site: customers' slugs never start with '_'."""

HOST = "127.0.0.1"
DEFAULT_PORT, DEFAULT_HTTP_PORT = 8443, 8080
_SLUG = re.compile(r"[a-z][a-z0-9-]{1,38}[a-z0-9]\Z")
_STOP_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Served:
    """The running site: nginx's pid, its ports and the customers it serves."""

    pid: int
    port: int
    http_port: int
    customers: tuple[str, ...]

    @property
    def url(self) -> str:
        """Where the site answers over HTTPS."""
        return f"https://{HOST}:{self.port}/"


class LocalSite:
    """The local site at ``site``, served (or not) by nginx.

    ``trust``: the certificate of the authority that signed the customers' certificates
    (None where only the site's folder is known).
    """

    def __init__(self, site: Path, trust: Path | None = None) -> None:
        self.site = site
        self.folder = site / FOLDER
        self.trust = trust

    @property
    def config(self) -> Path:
        """The served site's nginx configuration."""
        return self.folder / "nginx.conf"

    @property
    def pid_file(self) -> Path:
        """The pid file of nginx."""
        return self.folder / "nginx.pid"

    @property
    def _record(self) -> Path:
        return self.folder / "served.json"

    def applications(self) -> list[Application]:
        """Every customer on the site whose application step wrote its virtual host."""
        if not self.site.is_dir():
            return []
        return [
            read_application(d)
            for d in sorted(self.site.iterdir())
            if _SLUG.match(d.name)
            and (d / "application" / "app.json").is_file()
            and (d / "application" / "nginx.conf").is_file()
        ]

    def running(self) -> Served | None:
        """The site as it is served now, or None when nginx does not run."""
        pid = _read_pid(self.pid_file)
        if pid is None or not _is_nginx(pid):
            return None
        try:
            data = json.loads(self._record.read_text(encoding="utf-8"))
            return Served(pid, int(data["port"]), int(data["http_port"]), tuple(data["customers"]))
        except (OSError, ValueError, KeyError, TypeError):
            return Served(pid, 0, 0, ())

    def summary(self) -> dict[str, Any]:
        """Whether the site is served, where, and for which customers (``status``)."""
        served = self.running()
        if served is None:
            return {"served": False}
        return {
            "served": True,
            "url": served.url,
            "http_port": served.http_port,
            "pid": served.pid,
            "customers": list(served.customers),
        }

    def serve(
        self, port: int = DEFAULT_PORT, http_port: int = DEFAULT_HTTP_PORT, timeout: float = 15.0
    ) -> Served:
        """Start nginx on the site; return once it answers."""
        if port == http_port:
            raise SiteError(f"the HTTPS port and the HTTP port are both {port}: choose two")
        current = self.running()
        if current is not None:
            raise SiteError(
                f"the site is already served (nginx pid {current.pid}, {current.url}); "
                "`asp-provision site stop` first"
            )
        nginx = _nginx()
        if bad := [c for c in NOT_IN_PATH if c in str(self.folder)]:
            raise SiteError(
                f"the site folder {str(self.site)!r} holds {bad[0]!r}, which nginx cannot take "
                "in a path: serve a workspace (or a site setting) without it"
            )
        apps = self.applications()
        if not apps:
            raise SiteError(
                f"nothing to serve: no customer's application is on the site {self.site}; "
                "`asp-provision apply` first"
            )
        for which, number in (("--port", port), ("--http-port", http_port)):
            _free(number, which)
        backend = _free_port()
        self._write(apps, self._vhosts(apps, port, http_port, backend), backend)
        argv = [nginx, "-p", f"{self.folder}/", "-c", str(self.config), "-e", self._error_log]
        checked = subprocess.run([*argv, "-t", "-q"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise SiteError(f"nginx refuses the site's configuration: {_said(checked)}")
        started = subprocess.run(argv, capture_output=True, text=True, check=False)
        if started.returncode != 0:
            raise SiteError(f"nginx did not start: {_in_use(_said(started), port, http_port)}")
        served = Served(
            _wait_for_pid(self.pid_file, timeout), port, http_port, tuple(a.customer for a in apps)
        )
        self._remember(served, backend)
        try:
            _wait_until_answering(http_port, apps[0].domain, timeout)
        except SiteError:
            self.stop()
            raise
        return served

    def refresh(self) -> Served | None:
        """Bring the served site up to date with the customers on the site; None when not served.

        The configuration is written again (customers added, changed or gone) and nginx
        reloads it gracefully. Concurrent refreshes (one per customer of a run) take turns.
        """
        with _exclusive(self.folder / "refresh.lock"):
            current = self.running()
            if current is None:
                return None
            backend = self._backend() or _free_port()
            apps = self.applications()
            self._write(apps, self._vhosts(apps, current.port, current.http_port, backend), backend)
            argv = [
                _nginx(),
                "-p",
                f"{self.folder}/",
                "-c",
                str(self.config),
                "-e",
                self._error_log,
            ]
            checked = subprocess.run(
                [*argv, "-t", "-q"], capture_output=True, text=True, check=False
            )
            if checked.returncode != 0:
                raise SiteError(f"nginx refuses the site's new configuration: {_said(checked)}")
            served = Served(
                current.pid, current.port, current.http_port, tuple(a.customer for a in apps)
            )
            os.kill(current.pid, signal.SIGHUP)  # a graceful reload of the configuration
            self._remember(served, backend)
            return served

    def stop(self) -> Served | None:
        """Stop nginx, and wait until it is gone; None when it was not running."""
        served = self.running()
        if served is None:
            return None
        with suppress(ProcessLookupError):
            os.kill(served.pid, signal.SIGTERM)  # fast shutdown: workers end with it
        deadline = time.monotonic() + _STOP_SECONDS
        while alive(served.pid):
            if time.monotonic() > deadline:
                with suppress(ProcessLookupError):
                    os.kill(served.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        self._record.unlink(missing_ok=True)
        return served

    def _vhosts(
        self, apps: list[Application], port: int, http_port: int, backend: int
    ) -> dict[str, str]:
        """Each customer's virtual host, rewritten for the served ports and the placeholder."""
        vhosts: dict[str, str] = {}
        for app in apps:
            source = self.site / app.customer / "application" / "nginx.conf"
            try:
                text = source.read_text(encoding="utf-8")
                vhosts[app.customer] = served_vhost(text, port, http_port, f"{HOST}:{backend}")
            except (OSError, UnicodeDecodeError, VhostError) as exc:
                raise SiteError(f"cannot serve {app.customer}: {source}: {exc}") from None
        return vhosts

    def _remember(self, served: Served, backend: int) -> None:
        record = {**asdict(served), "backend": backend}
        self._record.write_text(json.dumps(record), encoding="utf-8")

    def _backend(self) -> int | None:
        try:
            return int(json.loads(self._record.read_text(encoding="utf-8"))["backend"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @property
    def _error_log(self) -> str:
        return str(self.folder / "logs" / "error.log")

    def _write(self, apps: list[Application], vhosts: dict[str, str], backend: int) -> None:
        """The served site's folder, written whole: configuration, vhosts and pages."""
        for sub in ("vhosts", "pages"):
            shutil.rmtree(self.folder / sub, ignore_errors=True)
        for sub in ("vhosts", "pages", "logs", "tmp"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        placeholders = []
        for app in apps:
            (self.folder / "vhosts" / f"{app.customer}.conf").write_text(
                vhosts[app.customer], encoding="utf-8"
            )
            page = self.folder / "pages" / app.customer
            page.mkdir()
            (page / "index.html").write_text(app.page(), encoding="utf-8")
            placeholders.append(
                "    # the placeholder application of " + app.customer + "\n"
                "    server {\n"
                f"        listen {HOST}:{backend};\n"
                f"        server_name {app.domain};\n"
                f'        root "{page}";\n'
                "        index index.html;\n"
                "    }\n"
            )
        text = nginx_config(self.folder, self.pid_file, self._error_log, apps, placeholders)
        self.config.write_text(text, encoding="utf-8")


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock`` (made when missing) for the block."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a", encoding="ascii") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        raise SiteError(
            "nginx is not installed: install it (Debian: nginx-light) to serve the site"
        )
    return found


def _said(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
    return "; ".join(lines[-3:]) or f"exit code {proc.returncode}"


def _in_use(message: str, port: int, http_port: int) -> str:
    if "Address already in use" in message:
        return f"a port is in use ({port} or {http_port} on {HOST}): {message}"
    return message


def _free(port: int, option: str) -> None:
    """Refuse a port another process listens on, before anything is written or started."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except PermissionError:
            raise SiteError(
                f"port {port} on {HOST} needs privileges to listen on: choose one above 1023 "
                f"with {option}"
            ) from None
        except OSError as exc:
            raise SiteError(
                f"port {port} on {HOST} is in use ({exc.strerror}): stop what listens there, or "
                f"choose another with {option}"
            ) from None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _is_nginx(pid: int) -> bool:
    """Whether ``pid`` is an nginx process (a stale pid file may name another by now)."""
    if not alive(pid):
        return False
    try:
        return b"nginx" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid file


def _wait_for_pid(path: Path, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = _read_pid(path)
        if pid is not None and alive(pid):
            return pid
        time.sleep(0.05)
    raise SiteError(f"nginx started but wrote no pid file {path} within {timeout:.0f} s")


def _wait_until_answering(http_port: int, domain: str, timeout: float) -> None:
    """Ask the redirect port for the first customer's page until nginx answers."""
    deadline = time.monotonic() + timeout
    request = f"HEAD / HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n".encode()
    while True:
        try:
            with socket.create_connection((HOST, http_port), timeout=2) as conn:
                conn.sendall(request)
                if conn.recv(12).startswith(b"HTTP/1."):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SiteError(f"nginx does not answer on {HOST}:{http_port} after {timeout:.0f} s")
        time.sleep(0.1)
