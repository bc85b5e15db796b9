"""The export archive on its own: members, manifest, names that are never reused."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import stat
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from asp_provision.lifecycle.export import ExportError, Spool, export_customer, local_site

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def test_a_site_never_applied_exports_an_empty_users_table(tmp_path: Path) -> None:
    export = export_customer(tmp_path / "site" / "acme-corp", tmp_path / ".asp", "acme-corp", NOW)
    assert export.path == tmp_path / ".asp/exports/acme-corp-2026-12-01.tar.gz"
    members = _members(export.path)
    assert members["acme-corp-2026-12-01/users.csv"] == b"username,email,full_name,role\n"
    assert "acme-corp-2026-12-01/converted_records.csv" not in members
    assert export.describe() == "0 users, 0 ledger rows"


def test_the_manifest_lists_every_other_member(tmp_path: Path) -> None:
    site = tmp_path / "site" / "acme-corp" / "application"
    site.mkdir(parents=True)
    conn = sqlite3.connect(site / "users.db")
    conn.execute("CREATE TABLE users (username, email, full_name, role)")
    conn.execute(
        "INSERT INTO users VALUES ('jdoe', 'jdoe@acme.example', 'Jane, \"JD\" Doe', 'admin')"
    )
    conn.execute("CREATE TABLE converted_records (key TEXT PRIMARY KEY, data TEXT)")
    conn.execute("INSERT INTO converted_records VALUES ('C1', '{\"name\": \"Ann\"}')")
    conn.commit()
    conn.close()

    def ledger(spool: Spool) -> None:
        spool.table("ledger/terms.csv", ("effective",), [("2026-12-01",)])

    export = export_customer(
        tmp_path / "site" / "acme-corp", tmp_path / ".asp", "acme-corp", NOW, ledger
    )
    members = _members(export.path)
    manifest = members.pop("acme-corp-2026-12-01/MANIFEST.sha256").decode()
    lines = sorted(manifest.splitlines())
    assert lines == sorted(
        f"{hashlib.sha256(data).hexdigest()}  {name.split('/', 1)[1]}"
        for name, data in members.items()
    )
    assert (
        b'jdoe,jdoe@acme.example,"Jane, ""JD"" Doe",admin'
        in members["acme-corp-2026-12-01/users.csv"]
    )
    assert export.describe() == "1 user, 1 converted record, 1 ledger row"


def test_an_export_of_the_same_day_gets_the_next_name(tmp_path: Path) -> None:
    first = export_customer(tmp_path / "site", tmp_path, "acme-corp", NOW)
    second = export_customer(tmp_path / "site", tmp_path, "acme-corp", NOW)
    assert (first.path.name, second.path.name) == (
        "acme-corp-2026-12-01.tar.gz",
        "acme-corp-2026-12-01-2.tar.gz",
    )
    assert {p.name for p in (tmp_path / "exports").iterdir()} == {
        first.path.name,
        second.path.name,
    }
    assert stat.S_IMODE((tmp_path / "exports").stat().st_mode) == 0o700


def test_an_unreadable_database_stops_the_export(tmp_path: Path) -> None:
    site = tmp_path / "site" / "acme-corp" / "application"
    site.mkdir(parents=True)
    (site / "users.db").write_bytes(b"not a database, but long enough to be read as one" * 20)
    with pytest.raises(ExportError, match=r"users\.db"):
        export_customer(tmp_path / "site" / "acme-corp", tmp_path / ".asp", "acme-corp", NOW)
    assert list((tmp_path / ".asp" / "exports").iterdir()) == []  # nothing left behind


def test_a_site_is_read_only_on_this_machine(tmp_path: Path) -> None:
    default = tmp_path / "site" / "acme-corp"
    assert local_site("acme-corp", None, default) == default
    own = {"ansible_connection": "local", "asp_site": "/srv/asp/acme-corp"}
    assert local_site("acme-corp", own, default) == Path("/srv/asp/acme-corp")
    for remote in ({"ansible_host": "10.20.0.15"}, {**own, "asp_site": "{{ x }}"}):
        with pytest.raises(ExportError, match="--no-export"):
            local_site("acme-corp", remote, default)


def test_converted_records_are_exported_in_bounded_memory(tmp_path: Path) -> None:
    site = tmp_path / "site" / "acme-corp" / "application"
    site.mkdir(parents=True)
    conn = sqlite3.connect(site / "users.db")
    conn.execute("CREATE TABLE converted_records (key TEXT PRIMARY KEY, data TEXT)")
    data = '{"email": "someone@old.example.com", "name": "A customer of long standing"}'
    conn.executemany(
        "INSERT INTO converted_records VALUES (?, ?)", ((f"C{i:07d}", data) for i in range(200_000))
    )
    conn.commit()
    conn.close()
    tracemalloc.start()
    try:
        export = export_customer(
            tmp_path / "site" / "acme-corp", tmp_path / ".asp", "acme-corp", NOW
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert export.counts["converted_records.csv"] == 200_000
    assert peak < 4 * 1024 * 1024, peak  # the records' CSV alone is some 18 MB
