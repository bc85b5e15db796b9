#!/usr/bin/python
# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""Open, update and close customer billing accounts in a SQLite ledger."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: asp_ledger
short_description: Open, update and close customer billing accounts in a SQLite ledger
description:
  - Keeps one row per billing account in the C(accounts) table of a SQLite ledger and
    records every change in the append-only C(events) table.
  - I(state=present) opens the account, updates it to match the given values, or
    reopens a closed account. A customer has one open account at a time, so the
    customer's other open accounts are closed, with C(superseded_by) in the event.
  - I(state=closed) marks the account closed and stamps C(closed_at). Accounts are
    never deleted, so the ledger keeps the customer's billing history.
  - I(state=event) records a billing event of the account (I(event), such as
    C(billing-started) at the go-live date) in the C(events) table. It is recorded once:
    when the account's latest C(billing-*) event is already this one, at the same time,
    nothing changes. The account must exist.
  - Supports check mode (reports what would change, writes nothing) and diff mode.
version_added: "0.1.0"
options:
  path:
    description: Path of the SQLite ledger file; created with its folder when needed.
    type: path
    required: true
  state:
    description: C(present) for an open, up-to-date account; C(closed) to close it;
      C(event) to record I(event).
    type: str
    choices: [present, closed, event]
    default: present
  event:
    description:
      - The event to record with I(state=event), lowercase words joined by C(-)
        (C(billing-started), C(billing-stopped)).
    type: str
  at:
    description:
      - When the event takes effect (YYYY-MM-DD or ISO 8601), with I(state=event). Defaults
        to now, in UTC.
    type: str
  account_id:
    description:
      - Identity of the account. Required with I(state=present).
      - With I(state=closed), either I(account_id) or I(customer) selects the accounts to close.
    type: str
  customer:
    description:
      - Customer slug. Required with I(state=present).
      - With I(state=closed) and no I(account_id), every open account of the customer is closed.
    type: str
  name:
    description: Customer's display name.
    type: str
  tier:
    description: Support tier.
    type: str
  cycle:
    description: Billing cycle.
    type: str
    choices: [monthly, annual]
  currency:
    description: ISO 4217 code of the charges.
    type: str
  seats:
    description: Seats billed.
    type: int
  monthly_charge:
    description: Monthly charge, in I(currency).
    type: float
  annual_charge:
    description: Annual charge, in I(currency).
    type: float
  contact_name:
    description: Billing contact's name.
    type: str
  contact_email:
    description: Billing contact's e-mail address.
    type: str
  po_number:
    description: Customer's purchase order number, if any.
    type: str
  start_date:
    description: First day billed (YYYY-MM-DD).
    type: str
  closed_at:
    description:
      - Time the account is closed (ISO 8601). Defaults to now, in UTC.
      - Only used with I(state=closed) when the account is still open.
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
- name: Open or update the billing account
  asp_ledger:
    path: /srv/asp/site/acme-corp/billing/ledger.db
    account_id: ACME-0001
    customer: acme-corp
    name: ACME Corporation
    tier: gold
    cycle: monthly
    currency: USD
    seats: 50
    monthly_charge: 2800
    annual_charge: 28000
    contact_name: Jane Doe
    contact_email: billing@acme.example
    po_number: PO-4471
    start_date: "2026-12-01"

- name: Start billing at the go-live date
  asp_ledger:
    path: /srv/asp/site/acme-corp/billing/ledger.db
    state: event
    account_id: ACME-0001
    event: billing-started
    at: "2026-12-15"

- name: Close the customer's billing accounts (offboarding)
  asp_ledger:
    path: /srv/asp/site/acme-corp/billing/ledger.db
    customer: acme-corp
    state: closed
"""

RETURN = r"""
accounts:
  description: The customer's account rows after the change (or as they would be in check mode).
  returned: always
  type: list
  elements: dict
  sample:
    - account_id: ACME-0001
      customer: acme-corp
      status: open
      seats: 50
      monthly_charge: 2800.0
event:
  description: What happened to the account, C(null) when nothing changed.
  returned: always
  type: str
  sample: opened
"""

import datetime
import json
import re
import sqlite3
from typing import Any, Optional

from ansible.module_utils.asp_sqlite import connect_for_writing, finish, read_rows
from ansible.module_utils.basic import AnsibleModule

# Columns set from the module's options with state=present.
VALUE_FIELDS = (
    "customer", "name", "tier", "cycle", "currency", "seats", "monthly_charge",
    "annual_charge", "contact_name", "contact_email", "po_number", "start_date",
)
COLUMNS = ("account_id", *VALUE_FIELDS, "status", "opened_at", "closed_at")

SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS accounts (
        account_id     TEXT PRIMARY KEY,
        customer       TEXT NOT NULL,
        name           TEXT NOT NULL,
        tier           TEXT NOT NULL,
        cycle          TEXT NOT NULL,
        currency       TEXT NOT NULL,
        seats          INTEGER NOT NULL,
        monthly_charge REAL NOT NULL,
        annual_charge  REAL NOT NULL,
        contact_name   TEXT,
        contact_email  TEXT,
        po_number      TEXT,
        start_date     TEXT NOT NULL,
        status         TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        opened_at      TEXT NOT NULL,
        closed_at      TEXT
    )
    """,
    "CREATE INDEX IF NOT EXISTS accounts_customer ON accounts (customer)",
    """
    CREATE TABLE IF NOT EXISTS events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        at         TEXT NOT NULL,
        event      TEXT NOT NULL,
        detail     TEXT
    )
    """,
)

Row = dict[str, Any]
# (event, account row after the change, detail of the changed fields as JSON or None)
Change = tuple[str, Row, Optional[str]]


def now() -> str:
    """Current time in UTC, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_accounts(path: str, where: str, args: tuple[Any, ...]) -> list[Row]:
    """Account rows matching the condition, without writing anything."""
    query = f"SELECT {', '.join(COLUMNS)} FROM accounts WHERE {where} ORDER BY account_id"
    return [dict(zip(COLUMNS, row)) for row in read_rows(path, "accounts", query, args)]


def render(rows: list[Row]) -> str:
    """One JSON line per account, for the diff."""
    return "".join(json.dumps(row, indent=2, sort_keys=True, ensure_ascii=False) + "\n" for row in rows)


def wanted_values(params: dict[str, Any]) -> Row:
    """The account's values as they are stored (charges rounded to cents)."""
    values = {field: params[field] for field in VALUE_FIELDS}
    for field in ("monthly_charge", "annual_charge"):
        values[field] = round(float(values[field]), 2)
    return values


def plan_present(module: AnsibleModule, current: list[Row]) -> tuple[list[Row], list[Change]]:
    """Rows after the change and the changes as (event, row, detail).

    ``current`` holds the account and the customer's other accounts; those still open
    are closed, superseded by this one.
    """
    params = module.params
    account_id = params["account_id"]
    own = [row for row in current if row["account_id"] == account_id]
    others = [row for row in current if row["account_id"] != account_id]
    detail = json.dumps({"superseded_by": account_id})
    after, changes = plan_closed(module, others, detail)
    values = wanted_values(params)
    if not own:
        row = {"account_id": account_id, **values,
               "status": "open", "opened_at": now(), "closed_at": None}
        return sorted_rows([row, *after]), [("opened", row, None), *changes]
    before = own[0]
    row = dict(before)
    row.update(values)
    fields = {f: [before[f], values[f]] for f in VALUE_FIELDS if before[f] != values[f]}
    event = None
    if before["status"] != "open":
        row.update(status="open", closed_at=None)
        event = "reopened"
    elif fields:
        event = "updated"
    if event is not None:
        changes.insert(0, (event, row, json.dumps(fields, sort_keys=True) if fields else None))
    return sorted_rows([row, *after]), changes


def plan_closed(
    module: AnsibleModule, current: list[Row], detail: Optional[str] = None
) -> tuple[list[Row], list[Change]]:
    """Rows after closing the open accounts, and the changes."""
    closed_at = module.params["closed_at"] or now()
    after: list[Row] = []
    changes: list[Change] = []
    for before in current:
        row = dict(before)
        if before["status"] == "open":
            row.update(status="closed", closed_at=closed_at)
            changes.append(("closed", row, detail))
        after.append(row)
    return after, changes


def sorted_rows(rows: list[Row]) -> list[Row]:
    """Rows in the order the ledger lists them."""
    return sorted(rows, key=lambda row: row["account_id"])


def write(path: str, changes: list[Change]) -> None:
    """Apply the changes and record them as events, in one transaction."""
    conn = connect_for_writing(path)
    try:
        with conn:
            for statement in SCHEMA:
                conn.execute(statement)
            for event, row, detail in changes:
                conn.execute(
                    f"INSERT OR REPLACE INTO accounts ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in COLUMNS)})",
                    tuple(row[c] for c in COLUMNS),
                )
                at = row["closed_at"] if event == "closed" else now()
                conn.execute(
                    "INSERT INTO events (account_id, at, event, detail) VALUES (?, ?, ?, ?)",
                    (row["account_id"], at, event, detail),
                )
    finally:
        conn.close()


EVENT_NAME = re.compile(r"[a-z]+(-[a-z]+)*\Z")


def latest_billing_event(path: str, account_id: str) -> Optional[tuple[str, str]]:
    """The account's latest C(billing-*) event as (event, at), without writing anything."""
    rows = read_rows(
        path,
        "events",
        "SELECT event, at FROM events WHERE account_id = ? AND event LIKE 'billing-%' "
        "ORDER BY id DESC LIMIT 1",
        (account_id,),
    )
    return (rows[0][0], rows[0][1]) if rows else None


def record_event(module: AnsibleModule) -> None:
    """state=event: record the event once, in check mode only say whether it would be."""
    params = module.params
    path, account_id, event = params["path"], params["account_id"], params["event"]
    if not account_id or not event:
        module.fail_json(msg="state=event needs account_id and event")
    if not EVENT_NAME.match(event):
        module.fail_json(msg=f"event {event!r} is not lowercase words joined by '-'")
    at = params["at"] or now()
    try:
        accounts = read_accounts(path, "account_id = ?", (account_id,))
        before = latest_billing_event(path, account_id) if accounts else None
    except sqlite3.Error as exc:
        module.fail_json(msg=f"cannot read the ledger {path}: {exc}")
    if not accounts:
        module.fail_json(
            msg=f"no billing account {account_id} in the ledger {path}: the billing step opens it"
        )
    same = before is not None and before[0] == event and (params["at"] is None or before[1] == at)
    changed = not same
    if changed and not module.check_mode:
        conn = connect_for_writing(path)
        try:
            with conn:
                conn.execute(
                    "INSERT INTO events (account_id, at, event, detail) VALUES (?, ?, ?, NULL)",
                    (account_id, at, event),
                )
        except (OSError, sqlite3.Error) as exc:
            module.fail_json(msg=f"cannot write the ledger {path}: {exc}")
        finally:
            conn.close()
    shown = f"{before[0]} at {before[1]}\n" if before else ""
    result: dict[str, Any] = {
        "changed": changed,
        "accounts": accounts,
        "event": event if changed else None,
    }
    finish(module, result, path, "events", shown, f"{event} at {at}\n" if changed else shown)


def main() -> None:
    required_present = [
        "account_id", "customer", "name", "tier", "cycle", "currency", "seats",
        "monthly_charge", "annual_charge", "start_date",
    ]
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "state": {
                "type": "str",
                "choices": ["present", "closed", "event"],
                "default": "present",
            },
            "event": {"type": "str"},
            "at": {"type": "str"},
            "account_id": {"type": "str"},
            "customer": {"type": "str"},
            "name": {"type": "str"},
            "tier": {"type": "str"},
            "cycle": {"type": "str", "choices": ["monthly", "annual"]},
            "currency": {"type": "str"},
            "seats": {"type": "int"},
            "monthly_charge": {"type": "float"},
            "annual_charge": {"type": "float"},
            "contact_name": {"type": "str"},
            "contact_email": {"type": "str"},
            "po_number": {"type": "str"},
            "start_date": {"type": "str"},
            "closed_at": {"type": "str"},
        },
        required_if=[("state", "present", required_present)],
        required_one_of=[("account_id", "customer")],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    path: str = params["path"]
    if params["state"] == "event":
        record_event(module)
        return
    if params["state"] == "present":
        where, args = "account_id = ? OR customer = ?", (params["account_id"], params["customer"])
    elif params["account_id"]:
        where, args = "account_id = ?", (params["account_id"],)
    else:
        where, args = "customer = ?", (params["customer"],)

    try:
        current = read_accounts(path, where, args)
    except sqlite3.Error as exc:
        module.fail_json(msg=f"cannot read the ledger {path}: {exc}")
    owner = next(
        (row["customer"] for row in current if row["account_id"] == params["account_id"]), None
    )
    if params["state"] == "present" and owner not in (None, params["customer"]):
        module.fail_json(
            msg=f"account {params['account_id']} belongs to customer {owner}, "
            f"not {params['customer']}"
        )

    if params["state"] == "present":
        after, changes = plan_present(module, current)
    else:
        after, changes = plan_closed(module, current)

    changed = bool(changes)
    if changed and not module.check_mode:
        try:
            write(path, changes)
        except (OSError, sqlite3.Error) as exc:
            module.fail_json(msg=f"cannot write the ledger {path}: {exc}")

    result: dict[str, Any] = {
        "changed": changed,
        "accounts": after if (current or changed) else [],
        "event": changes[0][0] if changes else None,
    }
    finish(module, result, path, "accounts", render(current), render(after))

if __name__ == "__main__":
    main()
