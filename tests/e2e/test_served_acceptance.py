"""Acceptance asks the served site: a customer applied while the site is served joins it,
its service-answers check is a real HTTPS request, and status says what is served."""

from __future__ import annotations

import json
import shutil
import ssl
from pathlib import Path

import pytest

from tests.e2e.conftest import cli, make_workspace
from tests.e2e.test_site import _free_port, _https_get

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed"),
]


def _status(ws: Path) -> dict[str, object]:
    result = cli(ws, "status", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_customer_applied_while_served_is_accepted_over_https(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "specs" / "globex-bank.yaml").unlink()
    northwind = ws / "specs" / "northwind-traders.yaml"
    held = northwind.rename(tmp_path / "northwind-traders.yaml")
    first = cli(ws, "apply", "--yes")
    assert first.returncode == 0, first.stdout + first.stderr

    assert _status(ws)["site"] == {"served": False}
    assert "site: not served" in cli(ws, "status").stdout

    port, http_port = _free_port(), _free_port()
    served = cli(ws, "site", "serve", "--port", str(port), "--http-port", str(http_port))
    assert served.returncode == 0, served.stderr
    trust = ws / ".asp" / "ca" / "ca.crt"
    try:
        held.rename(northwind)
        second = cli(ws, "apply", "--yes")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "The served site now serves 2 customer(s)" in second.stderr

        # the acceptance step asked the served site, over HTTPS, for northwind's page
        report = json.loads((ws / ".asp/site/northwind-traders/acceptance/report.json").read_text())
        answers = next(c for c in report["checks"] if c["name"] == "service-answers")
        assert answers["ok"] is True, answers
        assert f"https://crm.northwind.example:{port}/" in answers["message"]
        assert "answered 200 with northwind-traders's page" in answers["message"]

        response, page, certificate = _https_get(port, "crm.northwind.example", trust)
        assert response.status == 200 and "<td>northwind-traders</td>" in page
        assert certificate["subjectAltName"] == (("DNS", "crm.northwind.example"),)

        site = _status(ws)["site"]
        assert isinstance(site, dict) and site["served"] is True
        assert site["url"] == f"https://127.0.0.1:{port}/"
        assert site["customers"] == ["acme-corp", "northwind-traders"]
        one = cli(ws, "status", "northwind-traders").stdout
        assert f"site: serves northwind-traders at https://127.0.0.1:{port}/" in one

        # destroy takes the customer out of the served site; the other still answers
        gone = cli(ws, "destroy", "northwind-traders", "--yes", "--no-export")
        assert gone.returncode == 0, gone.stdout + gone.stderr
        assert _status(ws)["site"]["customers"] == ["acme-corp"]  # type: ignore[index]
        with pytest.raises(ssl.SSLCertVerificationError):
            _https_get(port, "crm.northwind.example", trust)
        assert _https_get(port, "mail.acme.example", trust)[0].status == 200
    finally:
        stopped = cli(ws, "site", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert _status(ws)["site"] == {"served": False}
