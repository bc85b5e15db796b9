"""A customer's virtual host, as the application step wrote it, rewritten to be served here.

The local site serves every vhost on loopback: HTTPS on one port, the redirect on another,
loopback admitted beside the customer's allowlist, and every application server of the
upstream replaced by the placeholder application. Only the lines the application step
writes are rewritten; a vhost without them is refused rather than served half-changed.
"""

from __future__ import annotations

import re

_HTTPS = re.compile(r"(?m)^([ \t]*)listen[ \t]+443[ \t]+ssl;")
_HTTP = re.compile(r"(?m)^([ \t]*)listen[ \t]+80;")
_REDIRECT = "return 301 https://$host$request_uri;"
_DENY = re.compile(r"(?m)^([ \t]*)deny[ \t]+all;")
_UPSTREAM = re.compile(r"(?ms)^upstream[ \t]+\S+[ \t]*\{.*?^\}")
_UPSTREAM_SERVER = re.compile(r"(?m)^([ \t]*)server[ \t]+[^ \t;]+")


class VhostError(ValueError):
    """A vhost lacks a line the served site rewrites."""


def _once(pattern: re.Pattern[str], text: str, what: str) -> None:
    if len(pattern.findall(text)) != 1:
        raise VhostError(f"the virtual host does not have one {what}: apply it again")


def served_vhost(text: str, port: int, http_port: int, backend: str) -> str:
    """``text`` served on ``127.0.0.1``: HTTPS on ``port``, the redirect on ``http_port``.

    ``backend``: ``host:port`` of the placeholder application, which each application
    server of the upstream becomes (the upstream keeps one line per server).
    """
    _once(_HTTPS, text, "`listen 443 ssl;`")
    _once(_HTTP, text, "`listen 80;`")
    _once(_DENY, text, "`deny all;`")
    if text.count(_REDIRECT) != 1:
        raise VhostError(f"the virtual host does not have one `{_REDIRECT}`: apply it again")
    upstreams = _UPSTREAM.findall(text)
    if len(upstreams) != 1 or not _UPSTREAM_SERVER.search(upstreams[0]):
        raise VhostError("the virtual host does not have one upstream with servers: apply it again")
    out = _HTTPS.sub(rf"\1listen 127.0.0.1:{port} ssl;", text)
    out = _HTTP.sub(rf"\1listen 127.0.0.1:{http_port};", out)
    out = out.replace(_REDIRECT, f"return 301 https://$host:{port}$request_uri;")
    out = _DENY.sub(r"\1allow 127.0.0.1;  # the local site is served on loopback\n\1deny all;", out)
    upstream = _UPSTREAM.search(out)
    assert upstream is not None
    block = _UPSTREAM_SERVER.sub(rf"\1server {backend}", upstream.group(0))
    return out[: upstream.start()] + block + out[upstream.end() :]
