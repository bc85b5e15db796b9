#!/usr/bin/python
# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""Read a customer's site in one pass and run the syntax checkers found on PATH."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: asp_site_facts
short_description: Read a customer's site and check its configuration with real tools
description:
  - Reads the text files and SQLite tables of a customer's site in one module run, for
    the go-live checks to assert on.
  - Runs the syntax checkers that are on C(PATH) against the generated files
    (C(nft -c -f), C(nginx -t) through a temporary main configuration,
    C(named-checkzone), C(promtool check rules)); a checker that is absent is reported
    as not available and its check is skipped.
  - Never changes anything; temporary files for the checkers live in a private
    temporary folder that is removed afterwards. Runs in check mode too.
version_added: "0.1.0"
options:
  site:
    description: The customer's site folder; every other path is relative to it.
    type: path
    required: true
  files:
    description: Text files to read.
    type: list
    elements: str
    default: []
  tables:
    description: SQLite tables to read, by the name the result uses.
    type: dict
    default: {}
    suboptions:
      path:
        description: Database file.
        type: str
        required: true
      table:
        description: Table name (letters, digits and underscores).
        type: str
        required: true
  nft:
    description: nftables ruleset to check with C(nft -c -f).
    type: str
  nginx:
    description: nginx configuration to check with C(nginx -t), included inside C(http {}).
    type: str
  zone:
    description: DNS zone to check with C(named-checkzone).
    type: dict
    suboptions:
      origin:
        description: Zone name.
        type: str
        required: true
      path:
        description: Zone file.
        type: str
        required: true
  prometheus_rules:
    description: Prometheus rule file to check with C(promtool check rules).
    type: str
  reads:
    description:
      - More of the above, one mapping per part of the site (C(files), C(tables), C(nft),
        C(nginx), C(zone), C(prometheus_rules)), merged with the options given directly; for
        a checker, the first file named wins.
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author:
  - asp-provision contributors
"""

EXAMPLES = r"""
- name: Read the site
  asp_site_facts:
    site: /srv/asp/site/acme-corp
    files: [network/nftables.nft, application/nginx.conf]
    tables:
      users: {path: application/users.db, table: users}
    nft: network/nftables.nft
    nginx: application/nginx.conf
  register: site
"""

RETURN = r"""
files:
  description: For every requested file, C(exists) and its C(content) (null when missing).
  returned: always
  type: dict
  sample: {"network/qos.conf": {"exists": true, "content": "[class acme-corp]\n"}}
tables:
  description: For every requested table, C(exists) and its C(rows) as mappings.
  returned: always
  type: dict
  sample: {"users": {"exists": true, "rows": [{"username": "jdoe", "role": "admin"}]}}
tools:
  description:
    - For every requested checker, C(available) (found on PATH), C(program) and C(file)
      (the file it checks), and when it ran C(ok), C(rc) and C(output).
    - C(ok) is null when the checker could not judge the file here (for example
      C(nft) without the permission to talk to the kernel).
  returned: always
  type: dict
  sample: {"nft": {"available": true, "ok": true, "rc": 0, "output": "", "program": "nft",
           "file": "network/nftables.nft"}}
rejected:
  description:
    - One line per file a checker rejected - the file (relative to the site), the checker
      and the checker's own message - for a go-live check to report.
  returned: always
  type: list
  elements: str
  sample: ["application/nginx.conf: nginx rejected it: nginx: [emerg] unknown directive ..."]
"""

import os
import re
import sqlite3
from typing import Any
from urllib.parse import quote

from ansible.module_utils.asp_checkers import check
from ansible.module_utils.basic import AnsibleModule

Result = dict[str, Any]

def inside(site: str, relative: str) -> str:
    """The absolute path of a site file; paths leaving the site are refused."""
    path = os.path.normpath(os.path.join(site, relative))
    if os.path.isabs(relative) or not (path + os.sep).startswith(os.path.normpath(site) + os.sep):
        raise ValueError(f"{relative!r} is outside the site")
    return path


def read_file(path: str) -> Result:
    """Existence and text of one file."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return {"exists": True, "content": handle.read()}
    except FileNotFoundError:
        return {"exists": False, "content": None}
    except IsADirectoryError:
        return {"exists": False, "content": None}


def read_table(path: str, table: str) -> Result:
    """Existence and rows of one SQLite table, opened read-only."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise ValueError(f"{table!r} is not a table name")
    if not os.path.isfile(path):
        return {"exists": False, "rows": []}
    conn = sqlite3.connect("file:" + quote(os.path.abspath(path)) + "?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        if found is None:
            return {"exists": False, "rows": []}
        rows = conn.execute(f"SELECT * FROM {table}").fetchall()
        return {"exists": True, "rows": [dict(row) for row in rows]}
    finally:
        conn.close()


def merged(params: dict[str, Any]) -> dict[str, Any]:
    """The options given directly, with every mapping of C(reads) merged in."""
    out = dict(params)
    out["files"] = list(params["files"])
    out["tables"] = dict(params["tables"])
    for part in params["reads"]:
        unknown = set(part) - {"files", "tables", "nft", "nginx", "zone", "prometheus_rules"}
        if unknown:
            raise ValueError(f"unknown read {sorted(unknown)}")
        out["files"] += [f for f in part.get("files") or [] if f not in out["files"]]
        for name, table in (part.get("tables") or {}).items():
            if not isinstance(table, dict) or not {"path", "table"} <= set(table):
                raise ValueError(f"table {name!r} needs a path and a table")
            out["tables"].setdefault(name, table)
        for checker in ("nft", "nginx", "zone", "prometheus_rules"):
            if not out.get(checker) and part.get(checker):
                out[checker] = part[checker]
    zone = out.get("zone")
    if zone and not (isinstance(zone, dict) and {"origin", "path"} <= set(zone)):
        raise ValueError("zone needs an origin and a path")
    return out


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "site": {"type": "path", "required": True},
            "files": {"type": "list", "elements": "str", "default": []},
            "tables": {"type": "dict", "default": {}},
            "nft": {"type": "str"},
            "nginx": {"type": "str"},
            "zone": {
                "type": "dict",
                "options": {
                    "origin": {"type": "str", "required": True},
                    "path": {"type": "str", "required": True},
                },
            },
            "prometheus_rules": {"type": "str"},
            "reads": {"type": "list", "elements": "dict", "default": []},
        },
        supports_check_mode=True,
    )
    site: str = module.params["site"]
    result: Result = {"changed": False, "files": {}, "tables": {}, "tools": {}, "rejected": []}
    try:
        params = merged(module.params)
        for relative in params["files"]:
            result["files"][relative] = read_file(inside(site, relative))
        for name, spec in params["tables"].items():
            result["tables"][name] = read_table(inside(site, spec["path"]), spec["table"])
        checks: list[tuple[str, str, Any]] = []
        if params["nft"]:
            checks.append(("nft", "nft", inside(site, params["nft"])))
        if params["nginx"]:
            checks.append(("nginx", "nginx", inside(site, params["nginx"])))
        if params["zone"]:
            checks.append(("zone", "named-checkzone",
                           (params["zone"]["origin"], inside(site, params["zone"]["path"]))))
        if params["prometheus_rules"]:
            checks.append(("prometheus_rules", "promtool", inside(site, params["prometheus_rules"])))
    except (ValueError, sqlite3.Error, OSError) as exc:
        module.fail_json(msg=f"cannot read the site {site}: {exc}", **result)

    def run(argv: list[str]) -> tuple[int, str, str]:
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    for name, program, target in checks:
        tool = check(run, name, target)
        checked = params["zone"]["path"] if name == "zone" else params[name]
        tool.update(program=program, file=checked)
        result["tools"][name] = tool
        if tool["ok"] is False:
            said = tool["output"] or f"exit code {tool['rc']}"
            result["rejected"].append(f"{checked}: {program} rejected it: {said}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
