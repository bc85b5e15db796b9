"""`new -o` and `new --from-csv` write whole files, only over regular files, one per customer."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli
from tests.scaffold.helpers import csv_row, write_csv
from tests.scaffold.test_cli_sales import DEAL
from tests.state.conditions import fill, small_disk


@pytest.fixture(scope="module")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("init") / "asp"
    result = run_cli("init", str(root))
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def workspace(template_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "asp"
    shutil.copytree(template_workspace, root, symlinks=True)
    return root


def cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli(*args, cwd=workspace)
    assert "Traceback" not in result.stderr + result.stdout
    return result


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _device(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is


def _symlink(path: Path) -> None:
    target = path.with_name("target.txt")
    target.write_text("mine\n")
    path.symlink_to(target)


def _folder(path: Path) -> None:
    path.mkdir()


SPECIAL: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_fifo, "a FIFO"),
    "device": (_device, "a character device"),
    "symlink": (_symlink, "a symbolic link"),
    "folder": (_folder, "a folder"),
}


def _unchanged(path: Path, kind: str) -> None:
    mode = path.lstat().st_mode
    assert {
        "fifo": stat.S_ISFIFO,
        "device": stat.S_ISCHR,
        "symlink": stat.S_ISLNK,
        "folder": stat.S_ISDIR,
    }[kind](mode)
    if kind == "symlink":
        assert path.read_text() == "mine\n"


@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_new_never_writes_over_anything_but_a_regular_file(workspace: Path, kind: str) -> None:
    make, said = SPECIAL[kind]
    path = workspace / "specs" / "special.yaml"
    make(path)
    result = cli(workspace, "new", "acme-corp", *DEAL, "-o", str(path), "--force")
    assert result.returncode == 2, result.stderr
    assert f"is {said}, not a regular file" in result.stderr
    assert "even with --force" in result.stderr
    _unchanged(path, kind)


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_new_from_csv_never_writes_over_anything_but_a_regular_file(
    workspace: Path, kind: str
) -> None:
    make, said = SPECIAL[kind]
    specs = workspace / "specs"
    path = specs / "customer-0001.yaml"
    make(path)
    deals = write_csv(workspace / "deals.csv", [csv_row(0), csv_row(1)])
    result = cli(workspace, "new", "--from-csv", str(deals), "--force")
    assert result.returncode == 1, result.stderr
    assert f"is {said}, not a regular file" in result.stderr
    _unchanged(path, kind)
    assert not (specs / "customer-0000.yaml").exists()  # all or nothing


def test_a_customer_with_a_spec_under_another_name_is_refused(workspace: Path) -> None:
    first = cli(workspace, "new", "acme-corp", *DEAL, "-o", "specs/acme.yaml")
    assert first.returncode == 0, first.stderr
    for extra in ([], ["--force"], ["-o", "specs/acme-2.yaml"]):
        again = cli(workspace, "new", "acme-corp", *DEAL, *extra)
        assert again.returncode == 2, again.stderr
        assert "customer acme-corp already has a spec, specs/acme.yaml" in again.stderr
    assert sorted(p.name for p in (workspace / "specs").iterdir()) == ["acme.yaml"]
    # the same file may be replaced, as before
    forced = cli(workspace, "new", "acme-corp", *DEAL, "-o", "specs/acme.yaml", "--force")
    assert forced.returncode == 0, forced.stderr


def test_a_csv_customer_with_a_spec_under_another_name_is_refused(workspace: Path) -> None:
    specs = workspace / "specs"
    deals = write_csv(workspace / "deals.csv", [csv_row(0)])
    assert cli(workspace, "new", "--from-csv", str(deals)).returncode == 0
    (specs / "customer-0000.yaml").rename(specs / "first.yaml")
    again = write_csv(workspace / "more.csv", [csv_row(0), csv_row(1)])
    result = cli(workspace, "new", "--from-csv", str(again), "--force")
    assert result.returncode == 1, result.stderr
    assert "customer customer-0000 already has a spec, specs/first.yaml" in result.stderr
    assert sorted(p.name for p in specs.iterdir()) == ["first.yaml"]


def test_a_full_disk_leaves_no_partial_spec(workspace: Path) -> None:
    specs = workspace / "specs"
    with small_disk(specs, "256k"):
        filler = fill(specs)
        result = cli(workspace, "new", "acme-corp", *DEAL)
        assert result.returncode == 1, result.stderr
        assert "cannot write specs/acme-corp.yaml: No space left on device" in result.stderr
        assert [p.name for p in specs.iterdir()] == ["filler"]
        deals = write_csv(workspace / "deals.csv", [csv_row(0), csv_row(1)])
        from_csv = cli(workspace, "new", "--from-csv", str(deals))
        assert from_csv.returncode == 1, from_csv.stderr
        assert "No space left on device" in from_csv.stderr
        assert [p.name for p in specs.iterdir()] == ["filler"]
        filler.unlink()
