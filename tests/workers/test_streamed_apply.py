"""apply through workers: here, through a pipe and over ssh, the same results.

Real runs: the CLI, ansible-runner's transmit/worker/process, the worker program, an
OpenSSH client and a loopback sshd, and the playbooks writing a real site.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import cli, make_workspace, query
from tests.sshd import Sshd
from tests.workers.conftest import processes_with, use_workers
from tests.workers.sites import event_counts, site_files, state_rows

pytestmark = pytest.mark.slow


def _results(ws: Path, tls: Path) -> tuple[dict[str, object], list[tuple[object, ...]], list[int]]:
    log = next((ws / ".asp" / "runs").glob("*/ansible.log"))
    site = ws / ".asp" / "site"
    return site_files(site, tls), state_rows(ws / ".asp" / "state.db"), event_counts(log)


def _start_over(ws: Path) -> None:
    """A state and site as before the first apply (the issued certificates kept)."""
    shutil.rmtree(ws / ".asp" / "site")
    shutil.rmtree(ws / ".asp" / "runs")
    os.remove(ws / ".asp" / "state.db")


def test_here_through_a_pipe_and_over_ssh_the_same_site_state_and_events(
    tmp_path: Path, sshd: Sshd
) -> None:
    ws = make_workspace(tmp_path / "ws")
    # one ansible-playbook here, as on the one worker: the same plays, the same events
    (ws / "asp-provision.toml").write_text("jobs = 1\n")
    here = cli(ws, "apply", "--yes")
    assert here.returncode == 0, here.stdout + here.stderr
    expected = _results(ws, ws / ".asp" / "tls")
    assert len(expected[2]) == 1 and expected[2][0] > 300  # every step of three customers
    site = ws / ".asp" / "site"
    for name, workers, config in (
        ("pipe", ["pipe://"], None),
        ("ssh", ["ssh://worker-a"], sshd.client_config),
    ):
        _start_over(ws)
        folder = tmp_path / f"{name}-worker"
        use_workers(ws, workers, site, folder, config)
        run = cli(ws, "apply", "--yes")
        assert run.returncode == 0, run.stdout + run.stderr
        files, rows, events = _results(ws, folder / "tls")
        assert rows == expected[1], name
        assert events == expected[2], name
        assert files.keys() == expected[0].keys(), name
        for path, content in expected[0].items():
            assert files[path] == content, f"{name}: {path}"
        # the run's private folder, secrets included, is gone from the worker; the
        # certificates the site's web server reads stay, for the user only
        assert os.listdir(folder / "private") == []
        key = folder / "tls" / "acme-corp" / "tls.key"
        assert key.stat().st_mode & 0o777 == 0o600
        status = json.loads(cli(ws, "status", "--format", "json").stdout)
        assert {c["worker"] for c in status["customers"]} == {workers[0]}


def test_two_workers_share_a_run_and_keep_their_customers(tmp_path: Path, sshd: Sshd) -> None:
    ws = make_workspace(tmp_path / "ws")
    folder = tmp_path / "workers"
    site = tmp_path / "worker-site"
    use_workers(ws, ["ssh://worker-a", "ssh://worker-b"], site, folder, sshd.client_config)
    first = cli(ws, "apply", "--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    db = ws / ".asp" / "state.db"
    placed = dict(query(db, "SELECT customer, worker FROM run_workers"))
    assert set(placed) == {"acme-corp", "globex-bank", "northwind-traders"}
    assert set(placed.values()) == {"ssh://worker-a", "ssh://worker-b"}
    # balanced by the plan's hours: the biggest customer has a worker to itself
    assert list(placed.values()).count(placed["globex-bank"]) == 1
    log = next((ws / ".asp" / "runs").glob("*/ansible.log")).read_text()
    assert "ssh://worker-a | PLAY [asp-provision step network]" in log
    assert "ssh://worker-b | PLAY [asp-provision step network]" in log
    for customer in placed:
        assert (site / customer / "network" / "nftables.nft").is_file()
    status = cli(ws, "status", "acme-corp")
    assert f"worker: {placed['acme-corp']}" in status.stdout
    # a check of the sites on both workers finds them as applied
    refresh = cli(ws, "plan", "--refresh", "--format", "json")
    assert refresh.returncode == 0, refresh.stdout + refresh.stderr
    assert json.loads(refresh.stdout)["summary"]["update"] == 0

    # a change goes back to the worker that holds the customer's site
    spec = ws / "specs" / "acme-corp.yaml"
    spec.write_text(spec.read_text().replace("seats: 50", "seats: 55"))
    second = cli(ws, "apply", "--yes")
    assert second.returncode == 0, second.stdout + second.stderr
    runs = query(db, "SELECT run_id, customer, worker FROM run_workers ORDER BY recorded_at")
    assert [(c, w) for r, c, w in runs if r == runs[-1][0]] == [("acme-corp", placed["acme-corp"])]
    # and so does its teardown
    gone = cli(ws, "destroy", "northwind-traders", "--yes")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    ledger = site / "northwind-traders" / "billing" / "ledger.db"
    assert query(ledger, "SELECT status FROM accounts") == [("closed",)]
    assert not (site / "northwind-traders" / "network" / "nftables.nft").exists()
    assert not (folder / "tls" / "northwind-traders").exists()  # its key is gone too
    assert (folder / "tls" / "acme-corp" / "tls.key").is_file()
    last = query(
        db,
        "SELECT worker FROM run_workers WHERE customer = 'northwind-traders' "
        "ORDER BY recorded_at DESC LIMIT 1",
    )
    assert last == [(placed["northwind-traders"],)]
    assert processes_with(str(folder)) == []
    assert os.listdir(folder / "private") == []


def test_a_run_here_shares_its_customers_among_jobs(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text("jobs = 2\n")
    run = cli(ws, "apply", "--yes")
    assert run.returncode == 0, run.stdout + run.stderr
    log = next((ws / ".asp" / "runs").glob("*/ansible.log")).read_text()
    assert "job 1 | PLAY [asp-provision step network]" in log
    assert "job 2 | PLAY [asp-provision step network]" in log
    assert len(event_counts(next((ws / ".asp" / "runs").glob("*/ansible.log")))) == 2
    db = ws / ".asp" / "state.db"
    assert query(db, "SELECT count(*) FROM steps WHERE status = 'applied'") == [(38,)]
    assert query(db, "SELECT count(*) FROM run_workers") == [(0,)]  # no worker host
    again = cli(ws, "apply", "--yes")
    assert again.returncode == 0 and "No changes." in again.stderr
