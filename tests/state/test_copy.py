"""state copy: a state moved from SQLite to PostgreSQL and back, every table counted."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from asp_provision.state import ledger, sla
from asp_provision.state.addresses import Wanted
from asp_provision.state.signoffs import SignOff, record
from asp_provision.state.store import StateReader, StateStore
from asp_provision.state.url import PgUrl, StateLocation
from tests.cli.helpers import run_cli
from tests.state.backends import execute, rows


def fill(state: StateLocation) -> None:
    """A state with rows in most tables, as runs, billing and reports write them."""
    with StateStore(state) as store:
        store.record_spec("acme-corp", {"spec": {"tier": "gold"}}, "specs/acme-corp.yaml")
        store.begin_run("r1", "apply", ["acme-corp"], "runs/r1.log", {"customers": []})
        store.record_step("acme-corp", "network", "r1", succeeded=True, input_hash="h1")
        store.record_step("acme-corp", "servers", "r1", succeeded=False, message="50% done")
        store.finish_run("r1", "failed")
        store.allocate(Wanted(("acme-corp", "globex"), Wanted.default().pool, 24))
        with store.transaction() as conn:
            number = ledger.next_number(conn, "INV", 2026)
            ledger.add_samples(conn, [("acme-corp", "seats", 1, "50")])
            ledger.record_change(conn, "acme-corp", "2026-01-01", '{"seats": 50}', "r1")
            ledger.record_invoice(
                conn, {"number": number, "customer": "acme-corp", "period": "2026-01"}
            )
            ledger.record_credit_note(conn, {"number": "CN-2026-000001", "invoice": number})
            record(conn, SignOff("acme-corp", "uat", "signed", "ann", None, "network", "h1", 7.0))
        sla.write_tickets(store, [("T1", "acme-corp", "P1", None, 1.0, 2.0, None)])
        sla.write_outages(store, [("acme-corp", 1.0, 2.0, True)])
        sla.record_credit(store, "acme-corp", "2026-01", Decimal("5"), ["P1 late"])


def counts(stdout: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", stdout, re.MULTILINE)}


def tables(db: Path) -> set[str]:
    """Every table of a SQLite state."""
    found = rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(r[0]) for r in found} - {"sqlite_sequence"}


def every_row(state: StateLocation, names: set[str]) -> dict[str, list[str]]:
    return {t: sorted(map(repr, rows(state, f"SELECT * FROM {t}"))) for t in names}


def test_copy_to_postgresql_and_back_keeps_every_row(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "state.db"
    fill(source)
    there = run_cli("state", "copy", str(source), pg_url, cwd=tmp_path)
    assert there.returncode == 0, there.stderr
    found = counts(there.stdout)
    assert set(found) == tables(source) and "signoffs" in found
    assert found["step_results"] == 2 and found["signoffs"] == 1 and found["addresses"] == 2
    assert "the same count in each table on both sides" in there.stderr
    back = tmp_path / "back.db"
    again = run_cli("state", "copy", pg_url, str(back), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert counts(again.stdout) == found
    assert every_row(back, tables(source)) == every_row(source, tables(source))
    assert every_row(PgUrl(pg_url), tables(source)) == every_row(source, tables(source))
    assert StateReader(back).snapshot() == StateReader(source).snapshot()
    assert StateReader(PgUrl(pg_url)).snapshot() == StateReader(source).snapshot()
    # the copy goes on where the source left off: ids, numbers, append-only sign-offs
    with StateStore(PgUrl(pg_url)) as store, store.transaction() as conn:
        assert ledger.next_number(conn, "INV", 2026) == "INV-2026-000002"
        record(conn, SignOff("acme-corp", "uat", "revoked", "bob", None, "network", None, 8.0))
    assert rows(PgUrl(pg_url), "SELECT id, action FROM signoffs ORDER BY id") == [
        (1, "signed"),
        (2, "revoked"),
    ]
    with pytest.raises(Exception, match="append-only"):
        execute(PgUrl(pg_url), "DELETE FROM signoffs")


def test_a_destination_with_a_state_is_replaced_only_when_asked(
    tmp_path: Path, pg_url: str
) -> None:
    source = tmp_path / "state.db"
    fill(source)
    with StateStore(PgUrl(pg_url)) as store:
        store.record_spec("other", {}, None)
    refused = run_cli("state", "copy", str(source), pg_url)
    assert refused.returncode == 2
    assert "already holds a state" in refused.stderr and "--replace" in refused.stderr
    assert set(StateReader(PgUrl(pg_url)).snapshot().customers) == {"other"}
    replaced = run_cli("state", "copy", str(source), pg_url, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert set(StateReader(PgUrl(pg_url)).snapshot().customers) == {"acme-corp"}
    # and back over a SQLite state, append-only sign-offs and all
    target = tmp_path / "target.db"
    fill(target)
    assert run_cli("state", "copy", pg_url, str(target)).returncode == 2
    back = run_cli("state", "copy", pg_url, str(target), "--replace")
    assert back.returncode == 0, back.stderr
    assert every_row(target, tables(source)) == every_row(source, tables(source))


def test_bad_sources_and_masked_passwords(tmp_path: Path, pg_cluster: object) -> None:
    missing = run_cli("state", "copy", str(tmp_path / "none.db"), str(tmp_path / "to.db"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    url = "postgresql://asp:Hunter2-secret@127.0.0.1:1/asp"
    down = run_cli("state", "copy", url, str(tmp_path / "to.db"))
    assert down.returncode == 1
    assert "postgresql://asp:***@127.0.0.1:1/asp" in down.stderr
    assert "Hunter2" not in down.stderr + down.stdout
    status = run_cli("--state", url, "status", cwd=tmp_path)
    assert status.returncode == 1 and "Hunter2" not in status.stderr + status.stdout
    assert "cannot connect to the PostgreSQL state postgresql://asp:***@" in status.stderr
