"""One run at a time per customer on a PostgreSQL state: session advisory locks.

A run takes its customers' locks with ``pg_try_advisory_lock`` on a connection of its own,
opened for the locks and held until the run ends. The locks belong to that session, so
they end with it: a run that is killed (or whose host is lost) frees its customers as soon
as PostgreSQL sees its connection go, and nothing is ever left to unlock. The session's
``application_name`` says who holds them (run, pid, user and host), and a refused run reads
it back from ``pg_stat_activity``, with the session's start as the time the locks were
taken. The ``locks`` table adds the run's ansible-playbook, which may outlive a killed
run: while it works, its customers are not locked again. Session locks must never be taken
through a connection pool: the pool would keep them past the run, or hand them to another.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from typing import TYPE_CHECKING, Any, cast

import psycopg

from asp_provision.errors import LockedError, UsageError
from asp_provision.state.pg import connect
from asp_provision.state.url import PgUrl

if TYPE_CHECKING:
    from asp_provision.state.locks import Lock
    from asp_provision.state.store import StateStore

_HELD: dict[str, psycopg.Connection[Any]] = {}
"""The lock session of each run of this process, by run id."""

_HOLDERS = (
    "SELECT a.application_name, extract(epoch FROM a.backend_start)::float8, l.pid "
    "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.classid = %s::oid AND l.objid = %s::oid"
)


def key(customer: str) -> int:
    """The advisory lock key of ``customer`` (63 bits of a hash of its name)."""
    digest = hashlib.sha256(f"asp-provision customer {customer}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


def _name(run_id: str) -> str:
    from asp_provision.state.locks import _user

    # at most 63 bytes are kept: the host comes last
    return f"asp {run_id} {os.getpid()} {_user()}@{socket.gethostname()}"[:63]


def _url(store: StateStore) -> PgUrl:
    return cast(PgUrl, store.path)


def _holder(conn: psycopg.Connection[Any], customer: str) -> Lock | None:
    """Who holds ``customer``'s lock now, or None."""
    from asp_provision.state.locks import Lock

    k = key(customer)
    row = conn.execute(_HOLDERS, (k >> 32, k & 0xFFFF_FFFF)).fetchone()
    if row is None:
        return None
    name, since, backend = row
    parts = str(name or "").split(" ", 3)
    if len(parts) == 4 and parts[0] == "asp" and parts[2].isdigit():
        user, _, host = parts[3].partition("@")
        return Lock(customer, parts[1], int(parts[2]), host, user, float(since or 0))
    # a session that is not an asp-provision run (or whose name this role may not read)
    return Lock(customer, "?", int(backend), "the database server", "?", float(since or 0))


def acquire(store: StateStore, customers: list[str], run_id: str) -> None:
    """Lock every customer of a run, all or none, on the run's own session."""
    conn = connect(_url(store), store.timeout, _name(run_id))
    wanted = sorted(set(customers))
    try:
        refused = [c for c in wanted if not _try(conn, c)]
        if refused:
            raise LockedError(_refusal(conn, refused))
        _record(conn, wanted, run_id)
    except psycopg.Error as exc:
        conn.close()
        raise _error(store, exc) from None
    except BaseException:
        conn.close()  # the locks taken end with the session
        raise
    _HELD[run_id] = conn


def _try(conn: psycopg.Connection[Any], customer: str) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key(customer),)).fetchone()
    return bool(row and row[0])


def _record(conn: psycopg.Connection[Any], customers: list[str], run_id: str) -> None:
    """Write who holds the locks in the ``locks`` table, once no earlier run is still working.

    The table only adds what a session cannot say: the run's ansible-playbook, which may
    still be finishing on this host after its run was killed (and its locks with it).
    """
    from asp_provision.state.locks import Lock, _user

    rows = conn.execute(
        'SELECT customer, run_id, pid, host, "user", started_at, runner_pid FROM locks '
        "WHERE customer = ANY(%s)",
        (customers,),
    ).fetchall()
    busy = [lock for lock in (Lock(*row) for row in rows) if _still_running(lock)]
    if busy:
        raise LockedError(
            "\n".join(
                f"customer {lock.customer} is locked by a run that was stopped "
                f"({lock.describe()}), but its ansible-playbook (pid {lock.runner_pid}) is "
                "still finishing; wait for it to end"
                for lock in busy
            )
        )
    with conn.transaction():
        conn.execute("DELETE FROM locks WHERE customer = ANY(%s)", (customers,))
        now = time.time()
        host, pid, user = socket.gethostname(), os.getpid(), _user()
        with conn.cursor() as cur:
            cur.executemany(
                'INSERT INTO locks (customer, run_id, pid, host, "user", started_at) '
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [(c, run_id, pid, host, user, now) for c in customers],
            )


def _still_running(lock: Lock) -> bool:
    """True when the ansible-playbook of a run that lost its locks works on, on this host."""
    return lock.host == socket.gethostname() and lock.runner_alive


def _refusal(conn: psycopg.Connection[Any], refused: list[str]) -> str:
    lines = []
    for customer in refused:
        lock = _holder(conn, customer)
        if lock is None:
            lines.append(
                f"customer {customer} was locked by another run that has just ended; try again"
            )
        else:
            lines.append(
                f"customer {customer} is locked by another run: run {lock.run_id}, "
                f"{lock.describe()}"
            )
    return "\n".join(lines)


def set_runner(store: StateStore, run_id: str, pid: int, customers: tuple[str, ...] = ()) -> None:
    """Record the ansible-playbook process working for ``run_id`` (for ``customers`` of it)."""
    conn = _HELD.get(run_id)
    if conn is None:
        return
    try:
        if not customers:
            conn.execute("UPDATE locks SET runner_pid = %s WHERE run_id = %s", (pid, run_id))
        for customer in customers:
            conn.execute(
                "UPDATE locks SET runner_pid = %s WHERE run_id = %s AND customer = %s",
                (pid, run_id, customer),
            )
    except psycopg.Error as exc:
        raise _error(store, exc) from None


def release(store: StateStore, run_id: str) -> None:
    """End the run's lock session, and with it every lock it holds."""
    conn = _HELD.pop(run_id, None)
    if conn is None:
        return
    try:
        conn.execute("DELETE FROM locks WHERE run_id = %s", (run_id,))
    except psycopg.Error as exc:
        raise _error(store, exc) from None
    finally:
        conn.close()


def unlock(store: StateStore, customer: str, force: bool = False) -> Lock:
    """Nothing to clear: say who holds ``customer``'s lock, or that nobody does."""
    conn = connect(_url(store), store.timeout, "asp-provision unlock")
    try:
        lock = _holder(conn, customer)
    except psycopg.Error as exc:
        raise _error(store, exc) from None
    finally:
        conn.close()
    if lock is None:
        raise UsageError(
            f"customer {customer} is not locked (on a PostgreSQL state a lock ends with the "
            "connection of the run that took it, so a killed run leaves none behind)"
        )
    raise LockedError(
        f"customer {customer} is locked by a run that is still connected to the state "
        f"(run {lock.run_id}, {lock.describe()}); its lock ends with that run: stop it, or "
        f"end its session on the server (pg_terminate_backend)"
    )


def held_locks(store: StateStore) -> list[Lock]:
    """The locks held now on the customers the state knows of."""
    conn = connect(_url(store), store.timeout, "asp-provision locks")
    try:
        found = [
            str(r[0])
            for r in conn.execute("SELECT customer FROM customers ORDER BY customer").fetchall()
        ]
        return [lock for c in found if (lock := _holder(conn, c)) is not None]
    except psycopg.Error as exc:
        raise _error(store, exc) from None
    finally:
        conn.close()


def _error(store: StateStore, exc: psycopg.Error) -> Exception:
    from asp_provision.state.pg import _error as translated

    return translated(exc).state_error(_url(store), store.timeout)
