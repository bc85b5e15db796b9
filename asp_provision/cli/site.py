"""Commands for the local site: site serve, site stop and site status."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from asp_provision.cli.app import _service, app

if TYPE_CHECKING:
    from asp_provision.site.serve import LocalSite, Served

site_app = typer.Typer(
    help="The local site, served by nginx over HTTPS on loopback.", no_args_is_help=True
)
app.add_typer(site_app, name="site")

_PORT_RANGE = {"min": 1, "max": 65535}


def _site() -> LocalSite:
    return _service().local_site()


def _describe(served: Served, site: LocalSite) -> str:
    lines = [
        f"The site is served at {served.url} (HTTP on port {served.http_port} redirects to it; "
        f"nginx pid {served.pid}); clients trust {site.trust}."
    ]
    for app_ in site.applications():
        if app_.customer in served.customers:
            lines.append(f"  {app_.customer}  https://{app_.domain}:{served.port}/")
    return "\n".join(lines) + "\n"


@site_app.command("serve")
def serve(
    port: Annotated[
        int, typer.Option("--port", help="The HTTPS port on 127.0.0.1.", **_PORT_RANGE)
    ] = 8443,
    http_port: Annotated[
        int,
        typer.Option(
            "--http-port", help="The port on 127.0.0.1 that redirects to HTTPS.", **_PORT_RANGE
        ),
    ] = 8080,
) -> None:
    """Start nginx on the local site: every customer's virtual host; returns once it answers."""
    site = _site()
    served = site.serve(port, http_port)
    sys.stderr.write(_describe(served, site))


@site_app.command("stop")
def stop() -> None:
    """Stop the nginx serving the local site."""
    served = _site().stop()
    if served is None:
        sys.stderr.write("The site is not served.\n")
    else:
        sys.stderr.write(f"Stopped the site (nginx pid {served.pid}).\n")


@site_app.command("status")
def status() -> None:
    """Whether the local site is served, where, and for which customers."""
    site = _site()
    served = site.running()
    if served is None:
        sys.stdout.write("The site is not served (`asp-provision site serve` starts it).\n")
    else:
        sys.stdout.write(_describe(served, site))
