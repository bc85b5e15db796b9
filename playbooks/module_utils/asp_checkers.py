# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""The real tools that judge the site's files: nft, nginx, named-checkzone, promtool.

Shared by the verify step's site reader and the acceptance checks. A checker that is not
installed, or that cannot run here (nft without the permission to talk to the kernel),
does not judge: its ``ok`` is None.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

Result = dict[str, Any]
Run = Callable[[list[str]], tuple[int, str, str]]
"""run(argv) -> (rc, stdout, stderr), with LC_ALL=C (an Ansible module's run_command)."""

PROGRAMS = {
    "nft": "nft",
    "nginx": "nginx",
    "zone": "named-checkzone",
    "prometheus_rules": "promtool",
}
"""Each checker and the program it runs."""

# Messages of a checker that could not run here, as opposed to one that rejected the file.
NOT_JUDGED = re.compile(
    r"Operation not permitted|Permission denied|cache initialization failed", re.IGNORECASE
)


def run_checker(run: Run, argv: list[str], scratch: str | None = None) -> Result:
    """Run one checker; judge by its exit code unless it could not run here.

    ``scratch``: a temporary folder of the check, whose lines in the output (about a
    file the user never sees) are left out.
    """
    rc, out, err = run(argv)
    lines = (out + err).strip().splitlines()
    if scratch:
        lines = [line for line in lines if scratch not in line]
    output = "\n".join(lines).strip()
    if rc == 0:
        ok: bool | None = True
    elif NOT_JUDGED.search(output):
        ok = None
    else:
        ok = False
    return {"available": True, "ok": ok, "rc": rc, "output": output, "command": argv}


def check_nginx(run: Run, binary: str, server_conf: str) -> Result:
    """Run nginx -t on the server block, wrapped in a throw-away main configuration."""
    with tempfile.TemporaryDirectory(prefix="asp-nginx-") as tmp:
        main = os.path.join(tmp, "nginx.conf")
        with open(main, "w", encoding="utf-8") as handle:
            handle.write(
                f"pid {tmp}/nginx.pid;\n"
                f"error_log {tmp}/error.log;\n"
                "events {}\n"
                "http {\n"
                f"    access_log off;\n"
                f"    client_body_temp_path {tmp}/client_body;\n"
                f"    proxy_temp_path {tmp}/proxy;\n"
                f"    fastcgi_temp_path {tmp}/fastcgi;\n"
                f"    uwsgi_temp_path {tmp}/uwsgi;\n"
                f"    scgi_temp_path {tmp}/scgi;\n"
                f'    include "{server_conf}";\n'
                "}\n"
            )
        return run_checker(run, [binary, "-t", "-q", "-p", tmp + "/", "-c", main], tmp)


def check(run: Run, name: str, target: Any) -> Result:
    """Judge ``target`` with the checker ``name`` (a zone's target: (origin, path))."""
    binary = shutil.which(PROGRAMS[name])
    if binary is None:
        return {"available": False, "ok": None, "rc": None, "output": ""}
    if name == "nft":
        return run_checker(run, [binary, "-c", "-f", target])
    if name == "nginx":
        return check_nginx(run, binary, target)
    if name == "zone":
        return run_checker(run, [binary, target[0], target[1]])
    return run_checker(run, [binary, "check", "rules", target])
