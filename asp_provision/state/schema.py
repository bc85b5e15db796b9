"""The state database's schema, its version, and the migrations between versions."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from asp_provision.errors import StateError
from asp_provision.state import addresses, phases

SCHEMA_VERSION = 12

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta (key, value) VALUES ('serial', '0');
CREATE TABLE customers (
    customer TEXT PRIMARY KEY,
    spec_json TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE steps (
    customer TEXT NOT NULL,
    step TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'failed')),
    input_hash TEXT,
    updated_at REAL NOT NULL,
    run_id TEXT,
    PRIMARY KEY (customer, step)
);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    command TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    outcome TEXT NOT NULL,
    customers TEXT NOT NULL,
    plan_json TEXT
);
"""

# version 2: the inputs each step applied (for field-level diffs), failure messages,
# where each spec came from, run log paths, and per-customer locks
_V2 = """
ALTER TABLE customers ADD COLUMN spec_path TEXT;
ALTER TABLE steps ADD COLUMN inputs_json TEXT;
ALTER TABLE steps ADD COLUMN message TEXT;
ALTER TABLE runs ADD COLUMN log_path TEXT;
CREATE INDEX runs_started ON runs (started_at);
CREATE TABLE locks (
    customer TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    user TEXT NOT NULL,
    started_at REAL NOT NULL
);
"""

# version 3: the ansible-playbook process of the run holding a lock, which may outlive
# a killed asp-provision and must not run beside the next one
_V3 = """
ALTER TABLE locks ADD COLUMN runner_pid INTEGER;
"""

# version 4: the process and host of each run, so that a run whose process is gone is
# shown as interrupted rather than running for ever
_RUN_PROCESS = """
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host TEXT;
"""

# version 5: support tickets and outages, imported for the service-level report, and the
# service credits it owes (read by invoices): one per customer and month, recorded once.
# Instants are POSIX timestamps (UTC seconds); pct is a decimal percent, as text.
_SLA = """
CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    customer TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('P1', 'P2', 'P3', 'P4')),
    channel TEXT,
    created REAL NOT NULL,
    first_response REAL,
    resolved REAL,
    imported_at REAL NOT NULL
);
CREATE INDEX tickets_customer_created ON tickets (customer, created);
CREATE TABLE outages (
    customer TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    planned INTEGER NOT NULL CHECK (planned IN (0, 1)),
    imported_at REAL NOT NULL,
    PRIMARY KEY (customer, start)
);
CREATE TABLE sla_credits (
    customer TEXT NOT NULL,
    period TEXT NOT NULL,
    pct TEXT NOT NULL,
    reasons TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    PRIMARY KEY (customer, period)
);
"""


def _v6(conn: sqlite3.Connection) -> None:
    """Version 6: each customer's subnet and service address, allocated from a pool.

    Customers already applied keep the subnet they were given before: it is recorded.
    """
    _script(
        conn,
        """
        CREATE TABLE addresses (
            customer TEXT PRIMARY KEY,
            subnet TEXT NOT NULL UNIQUE,
            service_address TEXT NOT NULL,
            allocated_at REAL NOT NULL
        );
        """,
    )
    addresses.backfill(conn)


Migration = str | Callable[[sqlite3.Connection], None]

# version 7: billing: metered usage, the billed terms of each subscription from the day they took
# effect, invoices and credit notes (never deleted, numbered without gaps per series and
# year), and the committed months of contracts ended early
_BILLING = """
CREATE TABLE usage_samples (
    customer TEXT NOT NULL,
    metric TEXT NOT NULL,
    at INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (customer, metric, at)
) WITHOUT ROWID;
CREATE TABLE billing_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer TEXT NOT NULL,
    effective TEXT NOT NULL,
    terms_json TEXT,
    run_id TEXT,
    recorded_at REAL NOT NULL
);
CREATE INDEX billing_changes_customer ON billing_changes (customer, effective, id);
CREATE TABLE invoices (
    number TEXT PRIMARY KEY,
    customer TEXT NOT NULL,
    period TEXT NOT NULL,
    issued_at REAL NOT NULL,
    document_json TEXT NOT NULL,
    credited_by TEXT
);
CREATE UNIQUE INDEX invoices_current ON invoices (customer, period) WHERE credited_by IS NULL;
CREATE TABLE credit_notes (
    number TEXT PRIMARY KEY,
    invoice TEXT NOT NULL REFERENCES invoices (number),
    issued_at REAL NOT NULL,
    document_json TEXT NOT NULL
);
CREATE TABLE billing_numbers (series TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE commitments (
    customer TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    ended TEXT NOT NULL,
    term_end TEXT NOT NULL,
    months INTEGER NOT NULL,
    monthly TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount TEXT NOT NULL
);
"""

# version 8: every step result as it happened, for the customer's history (the steps table
# keeps only the latest); what the steps table holds is its first entries
_STEP_RESULTS = """
CREATE TABLE step_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer TEXT NOT NULL,
    step TEXT NOT NULL,
    run_id TEXT,
    result TEXT NOT NULL CHECK (result IN ('applied', 'failed', 'torn-down')),
    at REAL NOT NULL,
    message TEXT
);
CREATE INDEX step_results_customer ON step_results (customer, at);
INSERT INTO step_results (customer, step, run_id, result, at, message)
    SELECT customer, step, run_id, status, updated_at, message FROM steps ORDER BY updated_at;
"""


def _signoffs(conn: sqlite3.Connection) -> None:
    """Version 9: sign-offs of the onboarding gates, append-only.

    Each signature or revocation is a row; a signature is bound to the input hash its
    gate's step had when it was given. Triggers refuse to change or delete a row.
    """
    _script(
        conn,
        """
        CREATE TABLE signoffs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            customer TEXT NOT NULL,
            gate TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('signed', 'revoked')),
            by TEXT NOT NULL,
            note TEXT,
            step TEXT NOT NULL,
            input_hash TEXT,
            at REAL NOT NULL
        );
        CREATE INDEX signoffs_customer ON signoffs (customer, gate, id)
        """,
    )
    append_only(conn, "signoffs", "sign-offs")


def append_only(conn: sqlite3.Connection, table: str, what: str) -> None:
    """Triggers that refuse to change or delete a row of ``table`` (its rows: ``what``)."""
    for verb in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{what} are append-only'); END"
        )


def _phases(conn: sqlite3.Connection) -> None:
    """Version 10: each customer's phase (onboarding, live, suspended, offboarded), append-only.

    Customers already applied are given their phase: see :func:`phases.backfill`.
    """
    _script(
        conn,
        """
        CREATE TABLE phases (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            customer TEXT NOT NULL,
            phase TEXT NOT NULL
                CHECK (phase IN ('onboarding', 'live', 'suspended', 'offboarded')),
            reason TEXT,
            run_id TEXT,
            at REAL NOT NULL
        );
        CREATE INDEX phases_customer ON phases (customer, id)
        """,
    )
    append_only(conn, "phases", "phase changes")
    phases.backfill(conn)


# version 11: the tickets of a customer and priority, in order of creation, read from one
# index that holds every column the service-level report measures (no look-ups into the
# table); it replaces the index on customer and creation. And the day billing of each
# customer started at go-live, recorded once, when its terms recorded before moved to it
_V11 = """
CREATE INDEX tickets_customer_priority
    ON tickets (customer, priority, created, first_response, resolved);
DROP INDEX tickets_customer_created;
CREATE TABLE billing_starts (
    customer TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    moved INTEGER NOT NULL,
    run_id TEXT,
    recorded_at REAL NOT NULL
);
"""

# version 12: the worker host that ran each customer of a run streamed to workers
_V12 = """
CREATE TABLE run_workers (
    run_id TEXT NOT NULL,
    customer TEXT NOT NULL,
    worker TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    PRIMARY KEY (run_id, customer)
);
CREATE INDEX run_workers_customer ON run_workers (customer, recorded_at);
"""

MIGRATIONS: dict[int, Migration] = {
    1: _V1,
    2: _V2,
    3: _V3,
    4: _RUN_PROCESS,
    5: _SLA,
    6: _v6,
    7: _BILLING,
    8: _STEP_RESULTS,
    9: _signoffs,
    10: _phases,
    11: _V11,
    12: _V12,
}
"""What brings a database from version N-1 to N: a SQL script, or a function run in the
migration's transaction when SQL alone cannot say it."""


def _script(conn: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the database at ``conn`` to :data:`SCHEMA_VERSION`, one transaction per step."""
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # read inside the transaction: another process may have migrated meanwhile
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StateError(
                    f"the state database {path} has schema version {version}, newer than "
                    f"this asp-provision understands ({SCHEMA_VERSION}); upgrade asp-provision"
                )
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if version == 0 and tables:
                raise StateError(f"{path} is a SQLite database, but not an asp-provision state")
            if version == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return
            step = MIGRATIONS[version + 1]
            if isinstance(step, str):
                _script(conn, step)
            else:
                step(conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # a failed COMMIT may have ended it already
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
