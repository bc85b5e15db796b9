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
from asp_provision.state.process import alive
from asp_provision.state.store import StateStore, state_error
from asp_provision.state.url import is_url


@dataclass(frozen=True, slots=True)
class Lock:
    """Who holds a customer's lock."""

    customer: str
    run_id: str
    pid: int
    host: str
    user: str
    started_at: float
    runner_pid: int | None = None  # the run's ansible-playbook

    @property
    def stale(self) -> bool:
        """True when the run and its ansible-playbook are known to be gone (same host only)."""
        if self.host != socket.gethostname():
            return False
        return not alive(self.pid) and not self.runner_alive

    @property
    def runner_alive(self) -> bool:
        """True while the run's ansible-playbook may still be working."""
        return self.runner_pid is not None and alive(self.runner_pid)

    def describe(self) -> str:
        """Who, where and since when, for messages."""
        since = dt.datetime.fromtimestamp(self.started_at).isoformat(timespec="seconds")
        return f"pid {self.pid} on {self.host}, user {self.user}, since {since}"


def _rows(conn: sqlite3.Connection, customers: list[str] | None = None) -> list[Lock]:
    query = "SELECT customer, run_id, pid, host, user, started_at, runner_pid FROM locks"
    if customers is None:
        return [Lock(*row) for row in conn.execute(query)]
    marks = ",".join("?" * len(customers))
    return [Lock(*row) for row in conn.execute(f"{query} WHERE customer IN ({marks})", customers)]


def acquire(store: StateStore, customers: list[str], run_id: str) -> None:
    """Lock every customer of a run, all or none; refuse when any is held."""
    if is_url(store.path):  # session advisory locks
        from asp_provision.state import pglocks

        return pglocks.acquire(store, customers, run_id)
    with store.transaction(serial=False) as conn:
        held = _rows(conn, customers)
        if held:
            raise LockedError(_refusal(held))
        now = time.time()
        conn.executemany(
            "INSERT INTO locks (customer, run_id, pid, host, user, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(c, run_id, os.getpid(), socket.gethostname(), _user(), now) for c in customers],
        )


def _refusal(held: list[Lock]) -> str:
    lines = []
    for lock in held:
        if lock.stale:
            lines.append(
                f"customer {lock.customer} has a stale lock from a run that is no longer "
                f"running ({lock.describe()}); clear it with "
                f"`asp-provision unlock {lock.customer}`"
            )
        elif lock.runner_alive and not alive(lock.pid):
            lines.append(
                f"customer {lock.customer} is locked by a run that was stopped "
                f"({lock.describe()}), but its ansible-playbook (pid {lock.runner_pid}) is "
                "still finishing; wait for it to end"
            )
        else:
            lines.append(f"customer {lock.customer} is locked by another run ({lock.describe()})")
    return "\n".join(lines)


def set_runner(store: StateStore, run_id: str, pid: int, customers: tuple[str, ...] = ()) -> None:
    """Record the ansible-playbook process working for ``run_id`` (for ``customers`` of it)."""
    if is_url(store.path):  # session advisory locks
        from asp_provision.state import pglocks

        return pglocks.set_runner(store, run_id, pid, customers)
    with store.transaction(serial=False) as conn:
        if not customers:
            conn.execute("UPDATE locks SET runner_pid = ? WHERE run_id = ?", (pid, run_id))
        for customer in customers:
            conn.execute(
                "UPDATE locks SET runner_pid = ? WHERE run_id = ? AND customer = ?",
                (pid, run_id, customer),
            )


def release(store: StateStore, run_id: str) -> None:
    """Drop every lock this run holds."""
    if is_url(store.path):  # session advisory locks
        from asp_provision.state import pglocks

        return pglocks.release(store, run_id)
    with store.transaction(serial=False) as conn:
        conn.execute("DELETE FROM locks WHERE run_id = ?", (run_id,))


def hand_over(store: StateStore, run_id: str, customers: dict[str, str]) -> bool:
    """Keep the locks of ``customers`` after ``run_id`` ends: a worker may still run them.

    ``customers``: customer -> the worker. Each lock then names the worker as its host,
    so it is never taken for stale here; ``unlock --force`` frees it once the worker is
    checked. False on a PostgreSQL state, whose locks end with the run's session.
    """
    if is_url(store.path):
        return False
    with store.transaction(serial=False) as conn:
        for customer, worker in customers.items():
            conn.execute(
                "UPDATE locks SET run_id = ?, host = ?, runner_pid = NULL "
                "WHERE run_id = ? AND customer = ?",
                (f"{run_id}@worker", worker, run_id, customer),
            )
    return True


def unlock(store: StateStore, customer: str, force: bool = False) -> Lock:
    """Clear ``customer``'s lock when its process is gone (or ``force``)."""
    if is_url(store.path):  # session advisory locks
        from asp_provision.state import pglocks

        return pglocks.unlock(store, customer, force)
    held = _read(store, [customer])
    if not held:
        raise UsageError(f"customer {customer} is not locked")
    lock = held[0]
    if not lock.stale and not force:
        doing = (
            f"its ansible-playbook (pid {lock.runner_pid}) is still running"
            if lock.runner_alive
            else "it may still be going"
        )
        raise LockedError(
            f"customer {customer} is locked by a run ({lock.describe()}) and {doing}; "
            "stop it, or use --force if you are sure it is gone"
        )
    with store.transaction(serial=False) as conn:
        conn.execute("DELETE FROM locks WHERE customer = ? AND run_id = ?", (customer, lock.run_id))
    return lock


def held_locks(store: StateStore) -> list[Lock]:
    """Every lock in the state."""
    if is_url(store.path):  # session advisory locks
        from asp_provision.state import pglocks

        return pglocks.held_locks(store)
    return _read(store)


def _read(store: StateStore, customers: list[str] | None = None) -> list[Lock]:
    try:
        return _rows(store.connection, customers)
    except sqlite3.Error as exc:
        raise state_error(store.path, exc, store.timeout) from None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
