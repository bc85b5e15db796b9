"""What a customer leaves with: its users, converted records and ledger, exported before destroy.

The export is one gzip-compressed tar file, ``.asp/exports/<customer>-<YYYY-MM-DD>.tar.gz``
(``-2``, ``-3`` ... when that name is taken), holding a folder of that name with a CSV
file per table and ``MANIFEST.sha256``, which lists every other member's SHA-256 in the
format ``sha256sum -c`` reads. It is written whole or not at all: into a temporary file
of mode 0600 in the exports folder (0700), flushed to disk, then linked into place, never
over another file. Nothing in it is a secret: the tables exported hold none.
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
from collections.abc import Iterable, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asp_provision.errors import UserError

if TYPE_CHECKING:
    from asp_provision.config import Workspace
    from asp_provision.state.store import StateReader

FOLDER = "exports"
MANIFEST = "MANIFEST.sha256"
USERS_DB = Path("application/users.db")
LEDGER_DB = Path("billing/ledger.db")


class ExportError(UserError):
    """The export could not be read or written; nothing was torn down."""


@dataclass(frozen=True, slots=True)
class Table:
    """One member of the export: a CSV file with a header row."""

    name: str  # the member's path inside the export's folder
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def csv_bytes(self) -> bytes:
        """The table as CSV (UTF-8, a header row, empty for null)."""
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(tuple("" if v is None else v for v in row) for row in self.rows)
        return out.getvalue().encode("utf-8")


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


def _read(db: Path, queries: Sequence[tuple[str, str, str, tuple[Any, ...]]]) -> list[Table]:
    """Tables read from ``db`` (read-only): (member, table, query, parameters) each.

    A missing database or table reads as none: a step never applied left nothing.
    """
    if not db.is_file():
        return []
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            tables = []
            for name, table, query, args in queries:
                if table not in present:
                    continue
                cursor = conn.execute(query, args)
                columns = tuple(d[0] for d in cursor.description)
                tables.append(Table(name, columns, cursor.fetchall()))
            return tables
    except sqlite3.Error as exc:
        raise ExportError(f"cannot read {db} for the export: {exc}") from None


def site_tables(site: Path, customer: str) -> list[Table]:
    """The customer's users, converted records and ledger accounts and events on its site."""
    users = _read(
        site / USERS_DB,
        (
            (
                "users.csv",
                "users",
                "SELECT username, email, full_name, role FROM users ORDER BY 1",
                (),
            ),
            (
                "converted_records.csv",
                "converted_records",
                "SELECT key, data FROM converted_records ORDER BY 1",
                (),
            ),
        ),
    )
    if not any(t.name == "users.csv" for t in users):
        users.insert(0, Table("users.csv", ("username", "email", "full_name", "role"), []))
    accounts = "SELECT account_id FROM accounts WHERE customer = ?"
    ledger = _read(
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
    )
    return users + ledger


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


def state_tables(conn: sqlite3.Connection | None, customer: str) -> list[Table]:
    """The customer's billing ledger in the state: terms, invoices, credit notes, commitments."""
    tables = []
    for name, query in _STATE_LEDGER:
        if conn is None:  # no state yet: nothing was ever billed
            continue
        cursor = conn.execute(query, (customer,))
        columns = tuple(d[0] for d in cursor.description)
        times = [i for i, column in enumerate(columns) if column.endswith("_at")]
        rows = [_instants(row, times) for row in cursor]
        tables.append(Table(name, columns, rows))
    return tables


def _instants(row: tuple[Any, ...], times: list[int]) -> tuple[Any, ...]:
    """The state's instants (POSIX seconds) as ISO 8601 in UTC."""
    out = list(row)
    for i in times:
        if isinstance(out[i], int | float):
            moment = dt.datetime.fromtimestamp(out[i], dt.UTC)
            out[i] = moment.isoformat(timespec="seconds")
    return tuple(out)


def manifest(members: Iterable[tuple[str, bytes]]) -> bytes:
    """``sha256sum`` lines for ``members``: ``<hex>  <name>``."""
    return "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in members
    ).encode("utf-8")


def write_export(
    asp_dir: Path, customer: str, day: dt.date, tables: list[Table], now: dt.datetime
) -> Export:
    """Write ``tables`` as the customer's export; raise ExportError when it cannot be."""
    folder = asp_dir / FOLDER
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.is_symlink() or not folder.is_dir():
            raise ExportError(f"{folder} is not a folder: the export is written there")
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise ExportError(f"cannot make the exports folder {folder}: {exc.strerror}") from None
    stem = f"{customer}-{day.isoformat()}"
    members = [(t.name, t.csv_bytes()) for t in tables]
    members.append((MANIFEST, manifest(members)))
    fd, temp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".partial", dir=folder)
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                _add(tar, stem, None, now)
                for name, data in members:
                    _add(tar, f"{stem}/{name}", data, now)
            raw.flush()
            os.fsync(raw.fileno())
        final = _link(Path(temp), folder, stem)
    except OSError as exc:
        raise ExportError(f"cannot write the export in {folder}: {exc.strerror or exc}") from None
    finally:
        with suppress(OSError):
            os.unlink(temp)
    return Export(final, {t.name: len(t.rows) for t in tables})


def _add(tar: tarfile.TarFile, name: str, data: bytes | None, now: dt.datetime) -> None:
    info = tarfile.TarInfo(name)
    info.mtime = int(now.timestamp())
    info.uname = info.gname = ""
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o700
        tar.addfile(info)
        return
    info.mode = 0o600
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


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


def export_customer(
    site: Path, asp_dir: Path, ledger: list[Table], customer: str, now: dt.datetime
) -> Export:
    """Export ``customer``'s tables of its ``site`` folder and ``ledger`` (the state's)."""
    tables = site_tables(site, customer) + ledger
    return write_export(asp_dir, customer, now.date(), tables, now)


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
    ledger = reader.query(lambda conn: state_tables(conn, customer), state_tables(None, customer))
    return export_customer(site, workspace.asp_dir, ledger, customer, now())
