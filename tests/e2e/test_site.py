"""The local site goes live: customers served by nginx over HTTPS, checked by the real tools."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import ssl
from pathlib import Path

import pytest

from tests.cli.helpers import ROOT
from tests.e2e.conftest import cli, make_workspace

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed"),
]

CUSTOMERS = {  # customer -> (domain, name, tier, version)
    "acme-corp": ("mail.acme.example", "ACME Corporation", "gold", "4.2"),
    "northwind-traders": ("crm.northwind.example", "Northwind Traders", "silver", "2024.2"),
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _https_get(
    port: int, domain: str, trust: Path
) -> tuple[http.client.HTTPResponse, str, dict[str, object]]:
    """GET / of ``domain`` from the site on ``port``: SNI and Host are the domain."""
    context = ssl.create_default_context(cafile=str(trust))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    tls = context.wrap_socket(raw, server_hostname=domain)  # checks the name and the chain
    # read before the request: a server closing the connection after its answer (as nginx
    # does while it reloads) takes the socket, and its certificate, with it
    certificate = tls.getpeercert()
    conn = http.client.HTTPConnection(domain, port, timeout=10)
    conn.sock = tls
    conn.request("GET", "/")
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response, body, certificate


def _nginx_processes(config: Path) -> list[int]:
    """Live (not zombie) processes started with ``config``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if str(config).encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def two_customers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose two customers, a gold and a silver one, were applied."""
    ws = make_workspace(tmp_path_factory.mktemp("site") / "ws")
    (ws / "specs" / "globex-bank.yaml").unlink()
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    return ws


def test_the_vhost_serves_https_and_redirects_plain_http(two_customers: Path) -> None:
    site = two_customers / ".asp" / "site"
    for customer, (domain, _, tier, _) in CUSTOMERS.items():
        app = json.loads((site / customer / "application" / "app.json").read_text())
        assert app["url"] == f"https://{domain}/"
        vhost = (site / customer / "application" / "nginx.conf").read_text()
        assert "listen 443 ssl;" in vhost and "return 301 https://$host$request_uri;" in vhost
        tls = two_customers / ".asp" / "tls" / customer
        assert f'ssl_certificate "{tls}/tls.crt";' in vhost
        assert ("Strict-Transport-Security" in vhost) == (tier != "silver")
        assert (tls / "tls.key").stat().st_mode & 0o077 == 0
    # certificates and keys are paths in the run, never text in its records
    for path in (two_customers / ".asp" / "runs").rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes()
            assert b"BEGIN CERTIFICATE" not in path.read_bytes()


def test_each_customer_is_served_over_https_with_its_certificate(two_customers: Path) -> None:
    ws = two_customers
    port, http_port = _free_port(), _free_port()
    served = cli(ws, "site", "serve", "--port", str(port), "--http-port", str(http_port))
    config = ws / ".asp" / "site" / "_nginx" / "nginx.conf"
    try:
        assert served.returncode == 0, served.stderr
        assert f"served at https://127.0.0.1:{port}/" in served.stderr
        trust = ws / ".asp" / "ca" / "ca.crt"
        for customer, (domain, name, tier, version) in CUSTOMERS.items():
            response, page, certificate = _https_get(port, domain, trust)
            assert response.status == 200, page
            assert certificate["subjectAltName"] == (("DNS", domain),)
            assert f"<td>{customer}</td>" in page and f"<td>{name}</td>" in page
            assert f"<td>{tier}</td>" in page and f"<td>{version}</td>" in page
            hsts = response.getheader("Strict-Transport-Security")
            assert (hsts is not None) == (tier != "silver")

        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/reports?x=1", headers={"Host": "mail.acme.example"})
        redirect = plain.getresponse()
        assert redirect.status == 301
        assert redirect.getheader("Location") == f"https://mail.acme.example:{port}/reports?x=1"
        plain.close()

        status = cli(ws, "site", "status")
        assert status.returncode == 0 and f"https://127.0.0.1:{port}/" in status.stdout
        again = cli(ws, "site", "serve", "--port", str(_free_port()))
        assert again.returncode == 1 and "already served" in again.stderr
        assert _nginx_processes(config), "nginx runs with the site's configuration"
    finally:
        stopped = cli(ws, "site", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "Stopped the site" in stopped.stderr
    assert _nginx_processes(config) == []
    assert "not served" in cli(ws, "site", "status").stdout
    assert (ws / ".asp" / "site" / "_nginx" / "logs" / "access.log").is_file()


def test_a_port_in_use_is_refused_and_nothing_starts(two_customers: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli(two_customers, "site", "serve", "--port", str(port))
    assert result.returncode == 1
    assert f"error: port {port} on 127.0.0.1 is in use" in result.stderr
    assert "--port" in result.stderr
    assert "not served" in cli(two_customers, "site", "status").stdout


def test_platinum_is_highly_available_on_the_site(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    result = cli(ws, "apply", "--yes", "specs/globex-bank.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    site = ws / ".asp" / "site" / "globex-bank"
    allocation = json.loads((site / "servers" / "allocation.json").read_text())
    placed = {s["name"]: (s["role"], s["zone"], s["replication"]) for s in allocation["servers"]}
    assert placed == {
        "globex-bank-app-1": ("app", "zone-a", None),
        "globex-bank-app-2": ("app", "zone-b", None),
        "globex-bank-app-3": ("app", "zone-a", None),
        "globex-bank-app-4": ("app", "zone-b", None),
        "globex-bank-db-1": ("db", "zone-a", {"role": "primary", "replicas": ["globex-bank-db-2"]}),
        "globex-bank-db-2": ("db", "zone-b", {"role": "replica", "primary": "globex-bank-db-1"}),
    }
    vhost = (site / "application" / "nginx.conf").read_text()
    upstream = vhost.split("upstream ", 1)[1].split("}", 1)[0]
    apps = [s for s in allocation["servers"] if s["role"] == "app"]
    for server in apps:
        assert f"server {server['address']}:8080 " in upstream
    assert upstream.count("    server ") == len(apps)
    assert "Strict-Transport-Security" in vhost


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_a_config_the_checkers_reject_fails_verify_naming_customer_file_and_message(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "playbooks").unlink()
    shutil.copytree(ROOT / "playbooks", ws / "playbooks")
    roles = ws / "playbooks" / "roles"
    vhost = roles / "application" / "templates" / "nginx.conf.j2"
    text = vhost.read_text().replace("    deny all;\n", "    deny all;\n    bogus_directive on;\n")
    vhost.write_text(text)
    alerts = roles / "reporting" / "templates" / "alerts.yml.j2"
    alerts.write_text(alerts.read_text().replace("for: 15m", "for: fifteen-minutes"))

    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 1, result.stderr
    out = " ".join(result.stderr.split())  # the table wraps long messages
    assert "acme-corp: step verify failed" in out
    assert "acme-corp: application/nginx.conf: nginx rejected it:" in out
    assert 'unknown directive "bogus_directive"' in out
    assert "acme-corp: monitoring/prometheus/alerts.yml: promtool rejected it:" in out
    assert "fifteen-minutes" in out
    assert "asp-nginx-" not in out  # not the checker's throw-away files
