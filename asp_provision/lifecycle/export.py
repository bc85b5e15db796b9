"""What a customer leaves with: its users, converted records and ledger, exported before destroy.

The export is one gzip-compressed tar file, ``.asp/exports/<customer>-<YYYY-MM-DD>.tar.gz``
(``-2``, ``-3`` ... when that name is taken), holding a folder of that name with a CSV
file per table and ``MANIFEST.sha256``, which lists every other member's SHA-256 in the
format ``sha256sum -c`` reads. It is written whole or not at all: into a temporary file
of mode 0600 in the exports folder (0700), flushed to disk, then linked into place, never
over another file. Tables are read row by row into unnamed files in that folder, so a
customer with a million converted records is exported in bounded memory. Nothing in it
is a secret: the tables exported hold none.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from asp_provision.errors import UserError

if TYPE_CHECKING:
    from asp_provision.config import Workspace
    from asp_provision.state.store import StateReader

FOLDER = "exports"
MANIFEST = "MANIFEST.sha256"
USERS_DB = Path("application/users.db")
LEDGER_DB = Path("billing/ledger.db")
USER_COLUMNS = ("username", "email", "full_name", "role")
_BATCH = 1000  # rows formatted at a time


class ExportError(UserError):
    """The export could not be read or written; nothing was torn down."""


class Member:
    """One CSV file of the export (UTF-8, a header row, empty for null), spooled to disk."""

    def __init__(self, name: str, file: IO[bytes]) -> None:
        self.name = name  # its path inside the export's folder
        self.file = file
        self.rows = 0
        self.size = 0
        self._hash = hashlib.sha256()

    def write(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Write the header and ``rows``, a batch at a time."""
        self._lines([columns])
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(tuple("" if v is None else v for v in row))
            if len(batch) == _BATCH:
                self._lines(batch)
                self.rows += len(batch)
                batch = []
        self._lines(batch)
        self.rows += len(batch)

    def _lines(self, rows: Sequence[Sequence[Any]]) -> None:
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerows(rows)
        data = out.getvalue().encode("utf-8")
        self.file.write(data)
        self._hash.update(data)
        self.size += len(data)

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of what was written."""
        return self._hash.hexdigest()


class Spool:
    """The members of one export, in unnamed files of the exports folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.members: list[Member] = []

    def table(self, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Member:
        """A member holding ``rows``."""
        try:
            file = tempfile.TemporaryFile(dir=self.folder)  # noqa: SIM115  (closed by close())
            member = Member(name, file)
            self.members.append(member)
            member.write(columns, rows)
        except OSError as exc:
            raise ExportError(f"cannot spool {name} in {self.folder}: {exc.strerror}") from None
        return member

    def close(self) -> None:
        """Remove the spooled files."""
        for member in self.members:
            with suppress(OSError):
                member.file.close()


@dataclass(frozen=True, slots=True)
class Export:
    """An export written for a customer."""

    path: Path
    counts: dict[str, int]  # member -> rows

    def describe(self) -> str:
        """``3 users, 120 converted records, 5 ledger rows``."""
        users = self.counts.get("users.csv", 0)
        records = self.counts.get("converted_records.csv")
        ledger = sum(n for name, n in self.counts.items() if "/" in name)
        parts = [f"{users} user{'' if users == 1 else 's'}"]
        if records is not None:
            parts.append(f"{records} converted record{'' if records == 1 else 's'}")
        parts.append(f"{ledger} ledger row{'' if ledger == 1 else 's'}")
        return ", ".join(parts)


Query = tuple[str, str, str, tuple[Any, ...]]
"""(member, table, query, parameters)"""


def _read(db: Path, queries: Sequence[Query], spool: Spool) -> set[str]:
    """Spool the result of each query over ``db`` (read-only); the members written.

    A missing database or table reads as none: a step never applied left nothing.
    """
    if not db.is_file():
        return set()
    written = set()
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            for name, table, query, args in queries:
                if table in present:
                    cursor = conn.execute(query, args)
                    spool.table(name, [d[0] for d in cursor.description], cursor)
                    written.add(name)
    except sqlite3.Error as exc:
        raise ExportError(f"cannot read {db} for the export: {exc}") from None
    return written


def site_tables(site: Path, customer: str, spool: Spool) -> None:
    """The customer's users, converted records and ledger accounts and events on its site."""
    users = (
        "SELECT username, email, full_name, role FROM users ORDER BY 1",
        "SELECT key, data FROM converted_records ORDER BY 1",
    )
    found = _read(
        site / USERS_DB,
        (
            ("users.csv", "users", users[0], ()),
            ("converted_records.csv", "converted_records", users[1], ()),
        ),
        spool,
    )
    if "users.csv" not in found:
        spool.table("users.csv", USER_COLUMNS, [])
    accounts = "SELECT account_id FROM accounts WHERE customer = ?"
    _read(
        site / LEDGER_DB,
        (
            (
                "site-ledger/accounts.csv",
                "accounts",
                "SELECT * FROM accounts WHERE customer = ? ORDER BY 1",
                (customer,),
            ),
            (
                "site-ledger/events.csv",
                "events",
                f"SELECT * FROM events WHERE account_id IN ({accounts}) ORDER BY id",
                (customer,),
            ),
        ),
        spool,
    )


_STATE_LEDGER = (
    (
        "ledger/terms.csv",
        "SELECT effective, terms_json, run_id, recorded_at FROM billing_changes "
        "WHERE customer = ? ORDER BY id",
    ),
    (
        "ledger/invoices.csv",
        "SELECT number, period, issued_at, credited_by, document_json FROM invoices "
        "WHERE customer = ? ORDER BY issued_at, number",
    ),
    (
        "ledger/credit_notes.csv",
        "SELECT number, invoice, issued_at, document_json FROM credit_notes "
        "WHERE invoice IN (SELECT number FROM invoices WHERE customer = ?) "
        "ORDER BY issued_at, number",
    ),
    (
        "ledger/commitments.csv",
        "SELECT recorded_at, ended, term_end, months, monthly, currency, amount FROM commitments "
        "WHERE customer = ? ORDER BY recorded_at",
    ),
    (
        "ledger/service_credits.csv",
        "SELECT period, pct, reasons, recorded_at FROM sla_credits WHERE customer = ? "
        "ORDER BY period",
    ),
)


def state_tables(conn: sqlite3.Connection, customer: str, spool: Spool) -> None:
    """The customer's billing ledger in the state: terms, invoices, credit notes, commitments."""
    for name, query in _STATE_LEDGER:
        cursor = conn.execute(query, (customer,))
        columns = [d[0] for d in cursor.description]
        times = [i for i, column in enumerate(columns) if column.endswith("_at")]
        spool.table(name, columns, (_instants(row, times) for row in cursor))


def _instants(row: tuple[Any, ...], times: list[int]) -> tuple[Any, ...]:
    """The state's instants (POSIX seconds) as ISO 8601 in UTC."""
    out = list(row)
    for i in times:
        if isinstance(out[i], int | float):
            moment = dt.datetime.fromtimestamp(out[i], dt.UTC)
            out[i] = moment.isoformat(timespec="seconds")
    return tuple(out)


def manifest(members: Iterable[Member]) -> bytes:
    """``sha256sum`` lines for ``members``: ``<hex>  <name>``."""
    return "".join(f"{m.sha256}  {m.name}\n" for m in members).encode("utf-8")


def exports_folder(asp_dir: Path) -> Path:
    """The exports folder (0700), made when missing."""
    folder = asp_dir / FOLDER
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.is_symlink() or not folder.is_dir():
            raise ExportError(f"{folder} is not a folder: the export is written there")
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise ExportError(f"cannot make the exports folder {folder}: {exc.strerror}") from None
    return folder


def write_export(folder: Path, customer: str, now: dt.datetime, spool: Spool) -> Export:
    """Write the spooled members as the customer's export; ExportError when it cannot be."""
    stem = f"{customer}-{now.date().isoformat()}"
    listing = manifest(spool.members)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".partial", dir=folder)
    except OSError as exc:
        raise ExportError(f"cannot write the export in {folder}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                _add(tar, stem, None, 0, now)
                for member in spool.members:
                    member.file.seek(0)
                    _add(tar, f"{stem}/{member.name}", member.file, member.size, now)
                _add(tar, f"{stem}/{MANIFEST}", io.BytesIO(listing), len(listing), now)
            raw.flush()
            os.fsync(raw.fileno())
        final = _link(Path(temp), folder, stem)
    except OSError as exc:
        raise ExportError(f"cannot write the export in {folder}: {exc.strerror or exc}") from None
    finally:
        with suppress(OSError):
            os.unlink(temp)
    return Export(final, {m.name: m.rows for m in spool.members})


def _add(
    tar: tarfile.TarFile, name: str, data: IO[bytes] | None, size: int, now: dt.datetime
) -> None:
    info = tarfile.TarInfo(name)
    info.mtime = int(now.timestamp())
    info.uname = info.gname = ""
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o700
        tar.addfile(info)
        return
    info.mode = 0o600
    info.size = size
    tar.addfile(info, data)


def _link(temp: Path, folder: Path, stem: str) -> Path:
    """Give ``temp`` the first free name of ``stem``; an existing export is never replaced."""
    for n in range(1, 1000):
        final = folder / (f"{stem}.tar.gz" if n == 1 else f"{stem}-{n}.tar.gz")
        try:
            os.link(temp, final)
        except FileExistsError:
            continue
        return final
    raise ExportError(f"{folder} already holds 999 exports named {stem}: move some away")


StateTables = Callable[[Spool], None]
"""Spools the customer's tables of the state."""


def export_customer(
    site: Path, asp_dir: Path, customer: str, now: dt.datetime, state: StateTables | None = None
) -> Export:
    """Export ``customer``'s tables of its ``site`` folder and (``state``) of the state."""
    folder = exports_folder(asp_dir)
    spool = Spool(folder)
    try:
        site_tables(site, customer, spool)
        if state is not None:
            state(spool)
        return write_export(folder, customer, now, spool)
    finally:
        spool.close()


def local_site(customer: str, variables: dict[str, Any] | None, default: Path) -> Path:
    """Where ``customer``'s site is on this machine: ``default`` on the local site.

    A host of the inventory reached through the local connection may name its own
    (``asp_site``); a host reached otherwise has its databases where this machine cannot
    read them, and is refused.
    """
    if variables is None:
        return default
    site = variables.get("asp_site")
    local = variables.get("ansible_connection") == "local"
    if local and site is None:
        return default
    if local and isinstance(site, str) and "{" not in site and Path(site).is_absolute():
        return Path(site)
    raise ExportError(
        f"{customer} runs on a host of the inventory, where its databases are: the export "
        "reads a site on this machine only; keep what it needs with your own tooling and "
        "destroy with --no-export"
    )


def export_from(
    workspace: Workspace,
    reader: StateReader,
    customer: str,
    hosts: dict[str, dict[str, Any]] | None,
) -> Export:
    """Export ``customer`` of ``workspace``; ``hosts``: the inventory's, when it has one."""
    from asp_provision.now import now

    variables = hosts.get(customer, {}) if hosts is not None else None
    site = local_site(customer, variables, workspace.site_path / customer)

    def state(spool: Spool) -> None:
        reader.query(lambda conn: state_tables(conn, customer, spool), None)

    return export_customer(site, workspace.asp_dir, customer, now(), state)
