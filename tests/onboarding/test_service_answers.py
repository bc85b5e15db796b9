"""service-answers asks a served site for the customer's page over real HTTPS.

A small HTTPS server on loopback stands in for the served site; its certificate comes from
the site's own authority (``site/ca.py``), so the check's trust root is real.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from asp_provision.site.ca import CertificateAuthority
from tests.conversion.helpers import LIBRARY  # noqa: F401 - puts module_utils on the path
from tests.onboarding.test_acceptance import EXPECTED, _site, run

from asp_acceptance import Expected, _answers_over_https, service_answers  # isort: skip

DOMAIN = EXPECTED.domain


class _Page(http.server.BaseHTTPRequestHandler):
    page = b""
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: object) -> None:
        pass


def _serve(
    tmp_path: Path, domain: str, page: bytes, status: int = 200
) -> Iterator[dict[str, object]]:
    authority = CertificateAuthority.open(tmp_path / "ca", "Example ASP")
    issued = authority.issue(domain, tmp_path / "tls")
    handler = type("Page", (_Page,), {"page": page, "status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(issued.certificate, issued.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"port": server.server_address[1], "trust": str(authority.certificate_path)}
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def answering(tmp_path: Path) -> Iterator[dict[str, object]]:
    yield from _serve(tmp_path, DOMAIN, f"<td>{EXPECTED.customer}</td>".encode())


def _with(served: dict[str, object]) -> Expected:
    return Expected(**{**EXPECTED.__dict__, "served": served})


def test_the_served_page_of_the_customer_passes(
    tmp_path: Path, answering: dict[str, object]
) -> None:
    found = service_answers(str(_site(tmp_path / "site")), _with(answering), run)
    assert found.ok is True, found.message
    assert "answered 200" in found.message and f"certificate for {DOMAIN}" in found.message


def test_a_certificate_for_another_name_fails(tmp_path: Path) -> None:
    for served in _serve(tmp_path, "other.example", f"<td>{EXPECTED.customer}</td>".encode()):
        found = _answers_over_https("service-answers", _with(served), wait=0.5)
        assert found.ok is False
        assert "certificate is refused" in found.message and DOMAIN in found.message


def test_a_certificate_from_another_authority_fails(tmp_path: Path) -> None:
    other = CertificateAuthority.open(tmp_path / "other-ca", "Someone Else")
    for served in _serve(tmp_path, DOMAIN, f"<td>{EXPECTED.customer}</td>".encode()):
        wrong_trust = {**served, "trust": str(other.certificate_path)}
        found = _answers_over_https("service-answers", _with(wrong_trust), wait=0.5)
        assert found.ok is False and "certificate is refused" in found.message


def test_another_customers_page_or_an_error_status_fails(tmp_path: Path) -> None:
    for served in _serve(tmp_path, DOMAIN, b"<td>someone-else</td>"):
        found = _answers_over_https("service-answers", _with(served), wait=0.5)
        assert found.ok is False and f"without {EXPECTED.customer}'s page" in found.message
    for served in _serve(tmp_path / "b", DOMAIN, f"<td>{EXPECTED.customer}</td>".encode(), 502):
        found = _answers_over_https("service-answers", _with(served), wait=0.5)
        assert found.ok is False and "answered 502" in found.message


def test_a_site_that_does_not_answer_fails(tmp_path: Path) -> None:
    trust = CertificateAuthority.open(tmp_path / "ca", "Example ASP").certificate_path
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    found = _answers_over_https("service-answers", _with({"port": port, "trust": str(trust)}), 0.3)
    assert found.ok is False and "does not answer" in found.message
