"""A customer's virtual host, rewritten to be served on the local site's loopback ports."""

from __future__ import annotations

from pathlib import Path

import pytest

from asp_provision.site.vhost import VhostError, served_vhost

VHOST = """\
upstream asp_acme_corp_app {
    server 10.0.3.11:8080 max_fails=3 fail_timeout=10s;  # acme-corp-app-1
    server 10.0.3.12:8080 max_fails=3 fail_timeout=10s;  # acme-corp-app-2
    keepalive 16;
}

server {
    listen 80;
    server_name mail.acme.example;

    location / {
        return 301 https://$host$request_uri;
    }
}

server {
    listen 443 ssl;
    server_name mail.acme.example;
    ssl_certificate "/ws/.asp/tls/acme-corp/tls.crt";

    allow 203.0.113.0/24;
    deny all;

    location / {
        proxy_pass http://asp_acme_corp_app;
    }
}
"""


def test_ports_redirect_allowlist_and_upstream_are_rewritten() -> None:
    out = served_vhost(VHOST, 8443, 8080, "127.0.0.1:40001")
    assert "    listen 127.0.0.1:8443 ssl;\n" in out
    assert "    listen 127.0.0.1:8080;\n" in out
    assert "return 301 https://$host:8443$request_uri;" in out
    assert "    allow 203.0.113.0/24;\n    allow 127.0.0.1;" in out
    assert out.index("allow 127.0.0.1;") < out.index("deny all;")
    # one upstream line per application server, each now the placeholder application
    assert out.count("server 127.0.0.1:40001 max_fails=3") == 2
    assert "10.0.3.1" not in out
    assert "# acme-corp-app-2" in out
    assert 'ssl_certificate "/ws/.asp/tls/acme-corp/tls.crt";' in out
    assert "listen 80;" not in out and "listen 443" not in out


@pytest.mark.parametrize(
    ("cut", "names"),
    [
        ("    listen 443 ssl;\n", "listen 443 ssl;"),
        ("    listen 80;\n", "listen 80;"),
        ("    deny all;\n", "deny all;"),
        ("        return 301 https://$host$request_uri;\n", "return 301"),
    ],
)
def test_a_vhost_without_a_line_it_rewrites_is_refused(cut: str, names: str) -> None:
    with pytest.raises(VhostError, match=names.replace("$", r"\$")):
        served_vhost(VHOST.replace(cut, ""), 8443, 8080, "127.0.0.1:40001")


def test_a_vhost_without_upstream_servers_is_refused() -> None:
    text = VHOST.replace("    server 10.0.3.11", "    # 10.0.3.11").replace(
        "    server 10.0.3.12", "    # 10.0.3.12"
    )
    with pytest.raises(VhostError, match="upstream"):
        served_vhost(text, 8443, 8080, "127.0.0.1:40001")


def test_the_applied_template_is_one_the_served_site_can_rewrite() -> None:
    # the lines served_vhost looks for are the ones the application step writes
    template = (
        Path(__file__).resolve().parents[2] / "playbooks/roles/application/templates/nginx.conf.j2"
    ).read_text()
    for line in (
        "listen 443 ssl;",
        "listen 80;",
        "deny all;",
        "return 301 https://$host$request_uri;",
    ):
        assert template.count(line) == 1, line
