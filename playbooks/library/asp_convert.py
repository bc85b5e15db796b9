#!/usr/bin/python
# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""Load a customer's records (CSV or JSON Lines) into the application's SQLite database."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: asp_convert
short_description: Load a customer's records into the application's SQLite database
description:
  - Reads the source record by record, checks each against the declared column types
    and loads the good ones into the table C(converted_records(key, data)) of the
    application's SQLite database, C(data) being the record as JSON with sorted keys.
  - Idempotent by the key; a record whose key is loaded already is updated when its
    values changed and left alone otherwise; records missing from the source are kept.
  - Bad records (a wrong type, a bad e-mail or date, a missing key, a key seen before
    in the source) are not loaded; they are listed in C(rejects.csv) of O(folder) with
    their source line and the reason. C(reconciliation.json) holds the counts and the
    source's SHA-256. Both are replaced atomically; the database changes in one
    transaction.
  - An empty value is stored as null. Values are stored literally, never evaluated.
  - Memory stays bounded whatever the number of records.
  - Supports check mode (counts what a run would do, writes nothing).
version_added: "0.1.0"
options:
  source:
    description: Path of the source file.
    type: path
    required: true
  format:
    description: How the source is written; for C(jsonl) the first record stands for the header.
    type: str
    choices: [csv, jsonl]
    required: true
  key:
    description: The column that identifies a record; one of O(fields).
    type: str
    required: true
  fields:
    description: The columns to load and their types (string, integer, decimal, date, email).
    type: dict
    required: true
  database:
    description: Path of the application's SQLite database (created when missing).
    type: path
    required: true
  folder:
    description: Folder of C(rejects.csv) and C(reconciliation.json).
    type: path
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author:
  - asp-provision contributors
"""

EXAMPLES = r"""
- name: Load the customer's records
  asp_convert:
    source: /srv/asp/workspace/data/acme-customers.csv
    format: csv
    key: customer_id
    fields: {customer_id: string, email: email, balance: decimal, opened: date}
    database: /srv/asp/site/acme-corp/application/users.db
    folder: /srv/asp/site/acme-corp/application/conversion
"""

RETURN = r"""
read:
  description: Records read from the source (blank lines are not records).
  returned: always
  type: int
loaded:
  description: Records added to the database.
  returned: always
  type: int
updated:
  description: Records whose values changed.
  returned: always
  type: int
unchanged:
  description: Records already loaded with the same values.
  returned: always
  type: int
rejected:
  description: Records not loaded (see rejects.csv).
  returned: always
  type: int
sha256:
  description: SHA-256 of the source file.
  returned: always
  type: str
"""

import sqlite3

from ansible.module_utils.asp_conversion import TYPES, ConversionError, convert
from ansible.module_utils.basic import AnsibleModule


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "source": {"type": "path", "required": True},
            "format": {"type": "str", "required": True, "choices": ["csv", "jsonl"]},
            "key": {"type": "str", "required": True, "no_log": False},
            "fields": {"type": "dict", "required": True},
            "database": {"type": "path", "required": True},
            "folder": {"type": "path", "required": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    fields = params["fields"]
    if not fields or not all(isinstance(kind, str) and kind in TYPES for kind in fields.values()):
        module.fail_json(msg=f"fields maps each column to one of {', '.join(TYPES)}")
    try:
        outcome = convert(
            params["source"],
            params["format"],
            params["key"],
            {str(column): kind for column, kind in fields.items()},
            params["database"],
            params["folder"],
            check=module.check_mode,
        )
    except ConversionError as exc:
        module.fail_json(msg=f"{params['source']}: {exc}")
    except (OSError, sqlite3.Error) as exc:
        module.fail_json(msg=f"cannot load into {params['database']}: {exc}")
    module.exit_json(changed=outcome.changed, **outcome.as_dict())


if __name__ == "__main__":
    main()
