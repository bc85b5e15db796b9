"""One run at a time per customer: locks kept in the state database."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import sqlite3
import time
from dataclasses import dataclass

from asp_provision.errors import LockedError, UsageError
from asp_provision.state.store import StateStore


@dataclass(frozen=True, slots=True)
class Lock:
    """Who holds a customer's lock."""

    customer: str
    run_id: str
    pid: int
    host: str
    user: str
    started_at: float

    @property
    def stale(self) -> bool:
        """True when the holding process is known to be gone (same host only)."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def describe(self) -> str:
        """Who, where and since when, for messages."""
        since = dt.datetime.fromtimestamp(self.started_at).isoformat(timespec="seconds")
        return f"pid {self.pid} on {self.host}, user {self.user}, since {since}"


def _rows(conn: sqlite3.Connection, customers: list[str] | None = None) -> list[Lock]:
    query = "SELECT customer, run_id, pid, host, user, started_at FROM locks"
    if customers is None:
        return [Lock(*row) for row in conn.execute(query)]
    marks = ",".join("?" * len(customers))
    return [Lock(*row) for row in conn.execute(f"{query} WHERE customer IN ({marks})", customers)]


def acquire(store: StateStore, customers: list[str], run_id: str) -> None:
    """Lock every customer of a run, all or none; refuse when any is held."""
    conn = store.connection
    conn.execute("BEGIN IMMEDIATE")
    try:
        held = _rows(conn, customers)
        if held:
            raise LockedError(_refusal(held))
        now = time.time()
        conn.executemany(
            "INSERT INTO locks (customer, run_id, pid, host, user, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(c, run_id, os.getpid(), socket.gethostname(), _user(), now) for c in customers],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _refusal(held: list[Lock]) -> str:
    lines = []
    for lock in held:
        if lock.stale:
            lines.append(
                f"customer {lock.customer} has a stale lock from a run that is no longer "
                f"running ({lock.describe()}); clear it with "
                f"`asp-provision unlock {lock.customer}`"
            )
        else:
            lines.append(f"customer {lock.customer} is locked by another run ({lock.describe()})")
    return "\n".join(lines)


def release(store: StateStore, run_id: str) -> None:
    """Drop every lock this run holds."""
    conn = store.connection
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM locks WHERE run_id = ?", (run_id,))
    conn.execute("COMMIT")


def unlock(store: StateStore, customer: str, force: bool = False) -> Lock:
    """Clear ``customer``'s lock when its process is gone (or ``force``)."""
    conn = store.connection
    held = _rows(conn, [customer])
    if not held:
        raise UsageError(f"customer {customer} is not locked")
    lock = held[0]
    if not lock.stale and not force:
        raise LockedError(
            f"customer {customer} is locked by a run that may still be going "
            f"({lock.describe()}); stop it, or use --force if you are sure it is gone"
        )
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM locks WHERE customer = ? AND run_id = ?", (customer, lock.run_id))
    conn.execute("COMMIT")
    return lock


def held_locks(store: StateStore) -> list[Lock]:
    """Every lock in the state."""
    return _rows(store.connection)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
