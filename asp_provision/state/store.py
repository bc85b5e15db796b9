"""The state: a SQLite database of what was applied, per customer and step, and every run.

The planner reads it through :class:`StateReader` (read-only; a missing file is an empty
state). Only apply and destroy write, through :class:`StateStore`, one transaction per
change, so a run killed at any instant leaves the database consistent.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from asp_provision.errors import StateError
from asp_provision.state import addresses
from asp_provision.state.addresses import Allocation
from asp_provision.state.phases import Phase, current_phases, record_phase
from asp_provision.state.process import gone
from asp_provision.state.schema import SCHEMA_VERSION, migrate
from asp_provision.state.signoffs import SignOff, latest_signoffs
from asp_provision.state.url import PgUrl, is_url

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StepState:
    """What the state knows of one step of one customer."""

    step: str
    status: str  # applied | failed
    input_hash: str | None  # of the inputs last applied successfully
    inputs_json: str | None  # those inputs, secrets as references only (parsed on demand)
    updated_at: float
    run_id: str | None
    message: str | None = None

    @property
    def inputs(self) -> Any:
        """The inputs last applied, or None."""
        return json.loads(self.inputs_json) if self.inputs_json else None


@dataclass(frozen=True, slots=True)
class CustomerState:
    """What the state knows of one customer."""

    customer: str
    spec_json: str
    spec_path: str | None
    updated_at: float
    steps: dict[str, StepState] = field(default_factory=dict)

    @property
    def spec(self) -> dict[str, Any]:
        """The last applied spec (secret references only)."""
        spec: dict[str, Any] = json.loads(self.spec_json)
        return spec


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of apply or destroy."""

    run_id: str
    command: str
    started_at: float
    finished_at: float | None
    outcome: str  # running | succeeded | failed | interrupted | error
    customers: list[str]
    log_path: str | None
    plan: dict[str, Any] | None
    pid: int | None = None  # of the asp-provision process that ran it
    host: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the planner needs, read in one consistent transaction."""

    serial: int
    customers: dict[str, CustomerState]
    addresses: dict[str, Allocation] = field(default_factory=dict)
    # customer -> gate -> its newest signature or revocation
    signoffs: dict[str, dict[str, SignOff]] = field(default_factory=dict)
    # customer -> its current phase (offboarded customers too)
    phases: dict[str, Phase] = field(default_factory=dict)


BUSY_TIMEOUT = 10.0
"""Seconds a state read or write waits for another process's write lock by default."""


def _connect(path: Path, readonly: bool, timeout: float) -> sqlite3.Connection:
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)
        else:
            conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        return conn
    except sqlite3.Error as exc:
        raise state_error(path, exc, timeout) from None


def state_error(path: Path, exc: sqlite3.Error, timeout: float = BUSY_TIMEOUT) -> StateError:
    """What is wrong with the state database, said as exactly as SQLite lets us tell.

    Only a file that SQLite finds malformed is called corrupt: a busy, read-only or
    full database is fine as it is, and moving it aside would lose the state.
    """
    if (own := getattr(exc, "state_error", None)) is not None:  # a PostgreSQL state's error
        return cast(StateError, own(path, timeout))
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StateError(
            f"the state database {path} is busy: another process has held a write lock on "
            f"it for more than {timeout:g} s (another asp-provision, or a tool that has it "
            "open); nothing was changed: try again when it is done"
        )
    if primary == sqlite3.SQLITE_READONLY or (
        primary == sqlite3.SQLITE_CANTOPEN and _read_only(path)
    ):
        return StateError(
            f"the state database {path} is read-only ({exc}): asp-provision cannot write "
            "it or its folder; nothing was changed: give the user write access to the file "
            "and its folder, or use a file system that is not mounted read-only"
        )
    if primary == sqlite3.SQLITE_FULL:
        return StateError(
            f"the disk that holds the state database {path} is full: the last change was "
            "not written and the database is as it was before it; free some space and try "
            "again"
        )
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StateError(
            f"the state database {path} is corrupt ({exc}); it was left as it is: "
            "restore it from a backup or move it aside to start from an empty state"
        )
    return StateError(
        f"the state database {path} cannot be used ({exc}); it was left as it is: "
        "check the file, its folder and the disk that holds them"
    )


def _read_only(path: Path) -> bool:
    """True when the file or its folder cannot be written by this process."""
    target = path if path.exists() else path.parent
    return target.exists() and not os.access(target, os.W_OK)


class StateReader:
    """Read-only access to the state; a missing (or empty) database reads as empty."""

    def __init__(self, path: Path | PgUrl, timeout: float = BUSY_TIMEOUT) -> None:
        self.path = cast(Path, path)  # or a PostgreSQL state's URL: see is_url
        self.timeout = timeout  # seconds to wait for another process's write lock

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection | None]:
        """A connection at the current schema, or None when there is no state yet.

        An older schema is read through a migrated copy in memory: the file itself is
        migrated by the next write, never by a read.
        """
        if is_url(self.path):
            from asp_provision.state.pgstore import reading

            with reading(cast(PgUrl, self.path), self.timeout) as found:
                yield found
            return
        if not self.path.exists() or self.path.stat().st_size == 0:
            yield None
            return
        conn = self._read_connection()
        memory: sqlite3.Connection | None = None
        try:
            version = _user_version(conn)
            if version == 0 and _has_tables(conn):
                raise StateError(
                    f"{self.path} is a SQLite database, but not an asp-provision "
                    "state; it was left as it is"
                )
            if version == 0:
                yield None
                return
            if version == SCHEMA_VERSION:
                conn.execute("BEGIN")
                yield conn
                return
            memory = sqlite3.connect(":memory:", isolation_level=None)
            conn.backup(memory)
            migrate(memory, self.path)
            yield memory
        except sqlite3.Error as exc:
            raise state_error(self.path, exc, self.timeout) from None
        finally:
            conn.close()
            if memory is not None:
                memory.close()

    def _read_connection(self) -> sqlite3.Connection:
        """A read-only connection; in a read-only folder, one that needs no lock files.

        A database in WAL mode is read through a shared-memory file beside it, which a
        read-only folder cannot hold. Nothing can write there either, so when no
        write-ahead log is left over the file alone is the whole state, and SQLite may
        read it as immutable.
        """
        conn = _connect(self.path, readonly=True, timeout=self.timeout)
        try:
            _user_version(conn)
            return conn
        except sqlite3.Error as exc:
            conn.close()
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            wal = self.path.with_name(self.path.name + "-wal")
            leftover = wal.exists() and wal.stat().st_size > 0
            if code not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY) or leftover:
                raise state_error(self.path, exc, self.timeout) from None
            if not _read_only(self.path.parent):
                raise state_error(self.path, exc, self.timeout) from None
        try:
            return sqlite3.connect(f"{self.path.resolve().as_uri()}?immutable=1", uri=True)
        except sqlite3.Error as exc:
            raise state_error(self.path, exc, self.timeout) from None

    def snapshot(self) -> Snapshot:
        """Read the whole state in one transaction (a fixed number of queries)."""
        with self._reading() as conn:
            return _read_snapshot(conn) if conn else Snapshot(0, {})

    def serial(self) -> int:
        """The serial number, which changes on every write (0 for no state)."""
        with self._reading() as conn:
            if conn is None:
                return 0
            row = conn.execute("SELECT value FROM meta WHERE key = 'serial'").fetchone()
            return int(row[0]) if row else 0

    def query(self, read: Callable[[sqlite3.Connection], T], empty: T) -> T:
        """``read`` over the state in one transaction, or ``empty`` when there is no state."""
        with self._reading() as conn:
            return read(conn) if conn else empty

    def last_runs(self) -> dict[str, RunRecord]:
        """Each customer's latest run (read for status only: it scans every run)."""
        with self._reading() as conn:
            return _last_runs(conn) if conn else {}

    def runs(self, limit: int = 50) -> list[RunRecord]:
        """The latest runs, newest first."""
        with self._reading() as conn:
            if conn is None:
                return []
            rows = conn.execute(
                "SELECT run_id, command, started_at, finished_at, outcome, customers, "
                "log_path, plan_json, pid, host FROM runs ORDER BY started_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
            return [_run(row) for row in rows]


def _last_runs(conn: sqlite3.Connection) -> dict[str, RunRecord]:
    out: dict[str, RunRecord] = {}
    for row in conn.execute(
        "SELECT run_id, command, started_at, finished_at, outcome, customers, log_path, "
        "NULL, pid, host FROM runs ORDER BY started_at"
    ):
        run = _run(row)
        for customer in run.customers:
            out[customer] = run
    return out


def _has_tables(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _run(row: Any) -> RunRecord:
    outcome = row[4]
    if outcome == "running" and gone(row[8], row[9]):
        outcome = "interrupted"  # killed before it could say how it ended
    return RunRecord(
        run_id=row[0],
        command=row[1],
        started_at=row[2],
        finished_at=row[3],
        outcome=outcome,
        customers=json.loads(row[5]),
        log_path=row[6],
        plan=json.loads(row[7]) if row[7] else None,
        pid=row[8],
        host=row[9],
    )


def _read_snapshot(conn: sqlite3.Connection) -> Snapshot:
    serial_row = conn.execute("SELECT value FROM meta WHERE key = 'serial'").fetchone()
    steps: dict[str, dict[str, StepState]] = {}
    for row in conn.execute(
        "SELECT customer, step, status, input_hash, inputs_json, updated_at, run_id, message "
        "FROM steps"
    ):
        steps.setdefault(row[0], {})[row[1]] = StepState(
            step=row[1],
            status=row[2],
            input_hash=row[3],
            inputs_json=row[4],
            updated_at=row[5],
            run_id=row[6],
            message=row[7],
        )
    customers = {
        row[0]: CustomerState(
            customer=row[0],
            spec_json=row[1],
            spec_path=row[2],
            updated_at=row[3],
            steps=steps.get(row[0], {}),
        )
        for row in conn.execute("SELECT customer, spec_json, spec_path, updated_at FROM customers")
    }
    serial = int(serial_row[0]) if serial_row else 0
    return Snapshot(
        serial,
        customers,
        addresses.read_allocations(conn),
        latest_signoffs(conn),
        current_phases(conn),
    )


def _journal(
    conn: sqlite3.Connection,
    customer: str,
    step: str,
    run_id: str | None,
    result: str,
    message: str | None,
) -> None:
    """Keep a step's result in the customer's history (``step_results``)."""
    conn.execute(
        "INSERT INTO step_results (customer, step, run_id, result, at, message) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (customer, step, run_id, result, time.time(), message),
    )


def _rollback(conn: sqlite3.Connection) -> None:
    # a failed COMMIT (disk full) may already have ended the transaction
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


class StateStore(StateReader):
    """Read and write access; creates and migrates the database on first write."""

    def __init__(self, path: Path | PgUrl, timeout: float = BUSY_TIMEOUT) -> None:
        super().__init__(path, timeout)
        self._conn: sqlite3.Connection | None = None

    def open(self) -> StateStore:
        """Create or migrate the database; idempotent."""
        if self._conn is None and is_url(self.path):
            from asp_provision.state.pgstore import open_store

            self._conn = open_store(cast(PgUrl, self.path), self.timeout)
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateError(
                    f"cannot create the folder of the state database {self.path}: {exc.strerror}"
                ) from None
            conn = _connect(self.path, readonly=False, timeout=self.timeout)
            try:
                # refuse a file that is not ours before changing anything in it
                migrate(conn, self.path)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            except sqlite3.Error as exc:
                conn.close()
                raise state_error(self.path, exc, self.timeout) from None
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> StateStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, serial: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction; it moves the serial on unless ``serial`` is False.

        Locks are written with ``serial=False``: they do not change what is applied, so
        a plan saved before a run stays valid after it.
        """
        conn = self.open()._conn
        assert conn is not None
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            if serial:
                conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'serial'"
                )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(conn)
            raise state_error(self.path, exc, self.timeout) from None
        except BaseException:
            _rollback(conn)
            raise

    def begin_run(
        self,
        run_id: str,
        command: str,
        customers: list[str],
        log_path: str,
        plan: dict[str, Any] | None,
    ) -> None:
        """Record that a run started (and that runs of this host whose process is gone ended)."""
        host = socket.gethostname()
        with self.transaction() as conn:
            ended = [
                run_id
                for run_id, pid in conn.execute(
                    "SELECT run_id, pid FROM runs WHERE outcome = 'running' AND host = ?", (host,)
                )
                if gone(pid, host)
            ]
            conn.executemany(
                "UPDATE runs SET outcome = 'interrupted' WHERE run_id = ?", [(r,) for r in ended]
            )
            conn.execute(
                "INSERT INTO runs (run_id, command, started_at, outcome, customers, log_path, "
                "plan_json, pid, host) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                (
                    run_id,
                    command,
                    time.time(),
                    json.dumps(customers),
                    log_path,
                    json.dumps(plan) if plan is not None else None,
                    os.getpid(),
                    host,
                ),
            )

    def finish_run(self, run_id: str, outcome: str) -> None:
        """Record how a run ended."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET finished_at = ?, outcome = ? WHERE run_id = ?",
                (time.time(), outcome, run_id),
            )

    def record_spec(self, customer: str, spec: dict[str, Any], spec_path: str | None) -> None:
        """Remember the spec being applied to ``customer`` (secrets as references only)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO customers (customer, spec_json, spec_path, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(customer) DO UPDATE SET "
                "spec_json = excluded.spec_json, spec_path = excluded.spec_path, "
                "updated_at = excluded.updated_at",
                (customer, json.dumps(spec, sort_keys=True), spec_path, time.time()),
            )

    def record_step(
        self,
        customer: str,
        step: str,
        run_id: str,
        *,
        succeeded: bool,
        input_hash: str | None = None,
        inputs: Any = None,
        message: str | None = None,
    ) -> None:
        """Record one step's outcome; a failure keeps what was last applied."""
        with self.transaction() as conn:
            _journal(conn, customer, step, run_id, "applied" if succeeded else "failed", message)
            if succeeded:
                conn.execute(
                    "INSERT INTO steps (customer, step, status, input_hash, inputs_json, "
                    "updated_at, run_id, message) VALUES (?, ?, 'applied', ?, ?, ?, ?, NULL) "
                    "ON CONFLICT(customer, step) DO UPDATE SET status = 'applied', "
                    "input_hash = excluded.input_hash, inputs_json = excluded.inputs_json, "
                    "updated_at = excluded.updated_at, run_id = excluded.run_id, message = NULL",
                    (
                        customer,
                        step,
                        input_hash,
                        json.dumps(inputs, sort_keys=True),
                        time.time(),
                        run_id,
                    ),
                )
            else:
                conn.execute(
                    "INSERT INTO steps (customer, step, status, updated_at, run_id, message) "
                    "VALUES (?, ?, 'failed', ?, ?, ?) ON CONFLICT(customer, step) DO UPDATE SET "
                    "status = 'failed', updated_at = excluded.updated_at, "
                    "run_id = excluded.run_id, message = excluded.message",
                    (customer, step, time.time(), run_id, message),
                )

    def forget_step(self, customer: str, step: str, run_id: str | None = None) -> None:
        """Remove a step after its teardown (of run ``run_id``) succeeded."""
        with self.transaction() as conn:
            _journal(conn, customer, step, run_id, "torn-down", None)
            conn.execute("DELETE FROM steps WHERE customer = ? AND step = ?", (customer, step))

    def forget_customer(self, customer: str, run_id: str | None = None) -> None:
        """Remove a customer once offboarded, releasing its addresses (its runs are kept)."""
        with self.transaction() as conn:
            record_phase(conn, customer, "offboarded", "destroyed", run_id)
            conn.execute("DELETE FROM steps WHERE customer = ?", (customer,))
            conn.execute("DELETE FROM customers WHERE customer = ?", (customer,))
            conn.execute("DELETE FROM addresses WHERE customer = ?", (customer,))

    def allocate(self, wanted: addresses.Wanted) -> dict[str, Allocation]:
        """Give each customer of ``wanted`` without a subnet one, in one transaction.

        Returns every allocation. Run under the customers' locks; SQLite's write lock
        keeps two runs from taking the same subnet.
        """
        with self.transaction() as conn:
            return addresses.allocate(conn, wanted)

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection (for the lock table, which lives in the same file)."""
        conn = self.open()._conn
        assert conn is not None
        return conn
