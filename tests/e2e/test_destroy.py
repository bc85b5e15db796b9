"""destroy: teardown in reverse order, the ledger closed and kept, the state updated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import cli, make_workspace, query

pytestmark = pytest.mark.slow


def test_destroy_closes_the_ledger_and_forgets_the_customer(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    for other in ("globex-bank", "northwind-traders"):
        (ws / "specs" / f"{other}.yaml").unlink()
    assert cli(ws, "apply", "--yes").returncode == 0
    certificate = ws / ".asp" / "tls" / "acme-corp"
    assert (certificate / "tls.key").is_file()
    assert cli(ws, "destroy", "acme-corp").returncode == 2  # no terminal, no --yes
    (ws / "specs" / "acme-corp.yaml").unlink()
    plan = json.loads(cli(ws, "plan", "-f", "json").stdout)
    assert [o["customer"] for o in plan["orphaned"]] == ["acme-corp"]
    result = cli(ws, "destroy", "acme-corp", "--yes")
    assert result.returncode == 0, result.stderr
    site = ws / ".asp/site/acme-corp"
    assert query(site / "billing/ledger.db", "SELECT status FROM accounts") == [("closed",)]
    assert not (site / "network" / "nftables.nft").exists()
    assert not (site / "application" / "users.db").exists()
    assert not certificate.exists()
    assert (ws / ".asp" / "ca" / "ca.key").is_file()  # the authority stays
    status = json.loads(cli(ws, "status", "-f", "json").stdout)
    assert status["customers"] == []
    again = cli(ws, "destroy", "acme-corp", "--yes")
    assert again.returncode == 2
    assert "not in the state" in again.stderr
