"""The served site's nginx configuration and each customer's placeholder application."""

from __future__ import annotations

import grp
import html
import json
import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from asp_provision.errors import UserError
from asp_provision.site.ca import CertificateError, check_domain


class SiteError(UserError):
    """The local site cannot be served (or stopped) as asked."""


@dataclass(frozen=True, slots=True)
class Application:
    """What the placeholder page of one customer says, from its ``application/app.json``."""

    customer: str
    customer_name: str
    domain: str
    name: str
    version: str
    tier: str

    def page(self) -> str:
        """The placeholder page: whose service answered."""
        title = html.escape(f"{self.customer_name}: {self.name} {self.version}")
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>\n"
            for k, v in (
                ("customer", self.customer),
                ("name", self.customer_name),
                ("application", self.name),
                ("version", self.version),
                ("tier", self.tier),
                ("domain", self.domain),
            )
        )
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
            f"<title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n"
            f"<p>Placeholder of the application, served by the local site.</p>\n"
            f"<table>\n{rows}</table>\n</body>\n</html>\n"
        )


def read_application(folder: Path) -> Application:
    customer = folder.name
    path = folder / "application" / "app.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = Application(
            customer=customer,
            customer_name=str(data["customer_name"]),
            domain=check_domain(str(data["domain"])),
            name=str(data["name"]),
            version=str(data["version"]),
            tier=str(data["tier"]),
        )
    except (OSError, ValueError, KeyError, TypeError, CertificateError) as exc:
        raise SiteError(f"cannot serve {customer}: {path} cannot be read ({exc})") from None
    return found


def nginx_config(
    folder: Path, pid_file: Path, error_log: str, apps: list[Application], placeholders: list[str]
) -> str:
    """The served site's nginx.conf: every customer's vhost and placeholder, files in ``folder``."""
    includes = "".join(f'    include "vhosts/{a.customer}.conf";\n' for a in apps)
    tmp = folder / "tmp"
    temp_paths = "".join(
        f'    {kind}_temp_path "{tmp}/{kind}";\n'
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        "# Managed by asp-provision: the local site, served by `asp-provision site serve`.\n"
        f"{_user_line()}"
        f'pid "{pid_file}";\n'
        f'error_log "{error_log}";\n'
        "worker_processes 1;\n"
        "events {\n    worker_connections 256;\n}\n"
        "http {\n"
        f'    access_log "{folder}/logs/access.log";\n'
        f"{temp_paths}"
        "    default_type text/html;\n"
        "    charset utf-8;\n"
        "    server_tokens off;\n"
        f"{''.join(placeholders)}"
        f"{includes}"
        "}\n"
    )


def _user_line() -> str:
    """As root, nginx would hand its workers to ``nobody``: keep them the invoking user's."""
    if os.geteuid() != 0:
        return ""
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    return f"user {user} {group};\n"
