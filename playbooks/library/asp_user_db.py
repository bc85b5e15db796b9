#!/usr/bin/python
# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""Keep the application's SQLite user database equal to a list of user accounts."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: asp_user_db
short_description: Keep the application's SQLite user database equal to a list of accounts
description:
  - Makes the C(users) table of the application's SQLite user database hold exactly the
    given accounts, adding, updating and removing rows as needed.
  - The table is C(users(username PRIMARY KEY, email, full_name, role)).
  - Values are stored literally, as given.
  - Creates the database and its folder when there is an account to store; an empty list
    against a missing database changes nothing.
  - Supports check mode (reports what would change, writes nothing) and diff mode.
version_added: "0.1.0"
options:
  path:
    description: Path of the SQLite database file.
    type: path
    required: true
  users:
    description:
      - The accounts the database must hold. Accounts not in the list are removed.
    type: list
    elements: dict
    required: true
    suboptions:
      username:
        description: Unique login name.
        type: str
        required: true
      email:
        description: E-mail address.
        type: str
      full_name:
        description: Display name.
        type: str
      role:
        description: Role of the account (one of the application's roles).
        type: str
extends_documentation_fragment:
  - files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author:
  - asp-provision contributors
"""

EXAMPLES = r"""
- name: Make the application's user database match the spec
  asp_user_db:
    path: /srv/asp/site/acme-corp/application/users.db
    users:
      - {username: jdoe, email: jdoe@acme.example, full_name: Jane Doe, role: admin}
      - {username: bsmith, email: bsmith@acme.example, role: staff}
    mode: "0640"

- name: Remove every account (offboarding)
  asp_user_db:
    path: /srv/asp/site/acme-corp/application/users.db
    users: []
"""

RETURN = r"""
added:
  description: Usernames added (or that would be added in check mode).
  returned: always
  type: list
  elements: str
  sample: [jdoe]
updated:
  description: Usernames whose email, full name or role changed.
  returned: always
  type: list
  elements: str
  sample: [bsmith]
removed:
  description: Usernames removed.
  returned: always
  type: list
  elements: str
  sample: [olduser]
users:
  description: Number of accounts in the database afterwards.
  returned: always
  type: int
  sample: 2
"""

import json
import os
import sqlite3
from typing import Any

from ansible.module_utils.asp_sqlite import connect_for_writing, finish, read_rows
from ansible.module_utils.basic import AnsibleModule

FIELDS = ("username", "email", "full_name", "role")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username  TEXT PRIMARY KEY,
    email     TEXT,
    full_name TEXT,
    role      TEXT
)
"""

User = dict[str, Any]


def read_users(path: str) -> dict[str, User]:
    """Return the accounts stored in the database, by username (read-only)."""
    rows = read_rows(path, "users", "SELECT username, email, full_name, role FROM users")
    return {row[0]: dict(zip(FIELDS, row)) for row in rows}


def render(users: dict[str, User]) -> str:
    """One JSON line per account, sorted, for the diff."""
    return "".join(
        json.dumps(users[name], sort_keys=True, ensure_ascii=False) + "\n" for name in sorted(users)
    )


def wanted_users(module: AnsibleModule) -> dict[str, User]:
    """The requested accounts by username; duplicate usernames are an error."""
    wanted: dict[str, User] = {}
    for item in module.params["users"]:
        user = {field: item.get(field) for field in FIELDS}
        name = user["username"]
        if not name:
            module.fail_json(msg="every user needs a username")
        if name in wanted:
            module.fail_json(msg=f"username {name!r} is listed twice")
        wanted[name] = user
    return wanted


def write(path: str, wanted: dict[str, User],
          added: list[str], updated: list[str], removed: list[str]) -> None:
    """Apply the changes in one transaction."""
    conn = connect_for_writing(path)
    try:
        with conn:
            conn.execute(SCHEMA)
            conn.executemany("DELETE FROM users WHERE username = ?", [(n,) for n in removed])
            conn.executemany(
                "INSERT INTO users (username, email, full_name, role) VALUES (?, ?, ?, ?)",
                [tuple(wanted[n][f] for f in FIELDS) for n in added],
            )
            conn.executemany(
                "UPDATE users SET email = ?, full_name = ?, role = ? WHERE username = ?",
                [(wanted[n]["email"], wanted[n]["full_name"], wanted[n]["role"], n) for n in updated],
            )
    finally:
        conn.close()


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "users": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "username": {"type": "str", "required": True},
                    "email": {"type": "str"},
                    "full_name": {"type": "str"},
                    "role": {"type": "str"},
                },
            },
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path: str = module.params["path"]
    wanted = wanted_users(module)
    try:
        current = read_users(path)
    except sqlite3.Error as exc:
        module.fail_json(msg=f"cannot read the user database {path}: {exc}")

    added = sorted(set(wanted) - set(current))
    removed = sorted(set(current) - set(wanted))
    updated = sorted(n for n in set(wanted) & set(current) if wanted[n] != current[n])
    changed = bool(added or removed or updated)
    exists = os.path.exists(path)

    if changed and not module.check_mode:
        try:
            write(path, wanted, added, updated, removed)
        except (OSError, sqlite3.Error) as exc:
            module.fail_json(msg=f"cannot write the user database {path}: {exc}")

    result: dict[str, Any] = {
        "changed": changed,
        "added": added,
        "updated": updated,
        "removed": removed,
        "users": len(wanted) if (exists or changed) else 0,
    }
    finish(module, result, path, "users", render(current), render(wanted))

if __name__ == "__main__":
    main()
