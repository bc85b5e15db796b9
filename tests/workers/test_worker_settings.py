"""Naming workers: what the settings accept, how each is reached, how a run is shared."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from asp_provision.run.workers import PIPE, SSH, Worker, WorkerSide, parse, shard, worker_path
from tests.e2e.conftest import cli, make_workspace

SIDE = WorkerSide(site="/srv/asp/site", python="/opt/asp/bin/python", folder="/var/tmp/asp")


def test_ssh_workers_name_a_host_or_an_alias_with_user_and_port() -> None:
    assert parse("ssh://deploy@host-a.example:2222") == Worker(
        "ssh://deploy@host-a.example:2222", SSH, "host-a.example", "deploy", 2222
    )
    assert parse("ssh://worker-a") == Worker("ssh://worker-a", SSH, "worker-a")
    assert parse("pipe://").transport == PIPE


@pytest.mark.parametrize(
    "name",
    [
        "ssh://-oProxyCommand=touch_x",  # an ssh option, not a host
        "ssh://host;reboot",
        "ssh://host a",
        "ssh://host:70000",
        "ssh://user@@host",
        "http://host",
        "host-a",
    ],
)
def test_a_worker_that_is_not_a_plain_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="ssh://" if "70000" not in name else "port"):
        parse(name)


def test_the_ssh_command_passes_the_host_as_such_and_quotes_the_remote_words() -> None:
    side = WorkerSide("/srv/site", "/opt/asp env/bin/python", "/var/tmp/asp", True, Path("/c"))
    command = parse("ssh://deploy@host-a:2222").command(side, "--name", "run-0123456789ab")
    assert command[:2] == ["ssh", "-T"]
    assert command[command.index("-F") + 1] == "/c"
    assert command[command.index("-l") + 1] == "deploy"
    assert command[command.index("-p") + 1] == "2222"
    assert command[-3:-1] == ["--", "host-a"]
    # the far end's shell gets one quoted string: it splits it back into the same words
    assert shlex.split(command[-1]) == [
        "/opt/asp env/bin/python",
        "-m",
        "asp_provision.worker",
        "--dir",
        "/var/tmp/asp",
        "--name",
        "run-0123456789ab",
    ]
    local = parse("pipe://").command(SIDE, "--wait", "run-0123456789ab")
    assert local[:3] == ["/opt/asp/bin/python", "-m", "asp_provision.worker"]


def test_worker_paths_are_absolute_and_plain_where_ansible_and_a_shell_read_them() -> None:
    assert worker_path("/srv/asp//site/", "site") == "/srv/asp/site"
    with pytest.raises(ValueError, match="absolute"):
        worker_path("srv/site", "site")
    with pytest.raises(ValueError, match="only letters"):
        worker_path("/tmp/{{ lookup('pipe','id') }}", "path", plain=True)
    with pytest.raises(ValueError, match="only letters"):
        worker_path("/tmp/a,b", "path", plain=True)


def test_shares_are_balanced_by_hours_and_customers_stay_where_they_ran() -> None:
    a, b = parse("ssh://a"), parse("ssh://b")
    hours = {"big": 50.0, "mid": 30.0, "small": 20.0, "tiny": 5.0}
    shares = shard(list(hours), hours, [a, b])
    # the longest first, each to the worker with the fewest hours so far
    assert shares == {a: ["big", "tiny"], b: ["mid", "small"]}
    # a customer goes back to the worker that holds its site; one gone from the
    # settings is placed anew
    placed = {"small": "ssh://a", "tiny": "ssh://gone"}
    shares = shard(list(hours), hours, [a, b], placed)
    assert shares[a][:2] == ["big", "small"] and "mid" in shares[b]
    assert shard(["one"], {}, [a, b]) == {a: ["one"]}  # a worker with nothing is left out


def test_settings_with_a_bad_worker_are_refused_naming_the_file_and_field(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text('workers = ["ssh://-oProxyCommand=x"]\n')
    result = cli(ws, "plan")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "asp-provision.toml" in result.stderr and "workers" in result.stderr
    assert "Traceback" not in result.stderr
    (ws / "asp-provision.toml").write_text('workers = ["pipe://"]\nworker_dir = "/tmp/{{ x }}"\n')
    result = cli(ws, "plan")
    assert result.returncode == 1 and "worker_dir" in result.stderr


def test_workers_and_an_inventory_of_real_hosts_are_one_or_the_other(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text('workers = ["pipe://"]\n')
    (ws / "inventory").mkdir()
    hosts = "".join(
        f"    {c}:\n      ansible_connection: local\n"
        for c in ("acme-corp", "globex-bank", "northwind-traders")
    )
    (ws / "inventory" / "hosts.yml").write_text("all:\n  hosts:\n" + hosts)
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "workers" in result.stderr and "inventory" in result.stderr


def test_a_run_here_uses_one_job_unless_the_settings_say(tmp_path: Path) -> None:
    from asp_provision.config import Workspace, load_settings

    ws = make_workspace(tmp_path / "ws")
    assert load_settings(ws).local_jobs() == 1
    (ws / "asp-provision.toml").write_text('jobs = "auto"\n')
    cores = len(os.sched_getaffinity(0))
    assert Workspace(ws).settings.local_jobs() == max(1, min(cores, 4))
    (ws / "asp-provision.toml").write_text("jobs = 0\n")
    result = cli(ws, "plan")
    assert result.returncode == 1 and "jobs" in result.stderr
