"""The worker program (python -m asp_provision.worker) on its own, through real pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asp_provision.errors import UserError
from asp_provision.run.private import private_dir
from asp_provision.worker import install_certificates

NAME = "run-0123456789ab"


def _worker(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "asp_provision.worker", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
    )


def test_wait_tells_when_a_run_is_over(tmp_path: Path) -> None:
    assert _worker("--dir", str(tmp_path), "--wait", NAME).returncode == 0  # never there
    with private_dir(tmp_path, NAME) as holder:
        started = time.monotonic()
        busy = _worker("--dir", str(tmp_path), "--wait", NAME, "--timeout", "0.5")
        assert busy.returncode == 3
        assert time.monotonic() - started >= 0.5
        assert holder.path.is_dir()
    assert _worker("--dir", str(tmp_path), "--wait", NAME).returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--dir", "relative", "--name", NAME],
        ["--dir", "/tmp", "--name", "../etc"],
        ["--dir", "/tmp"],
    ],
)
def test_bad_arguments_are_refused_before_anything_is_made(args: list[str]) -> None:
    done = _worker(*args)
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr


def test_a_stream_cut_short_runs_nothing_and_leaves_no_private_folder(tmp_path: Path) -> None:
    kwargs = json.dumps({"kwargs": {"playbook": "main.yml"}}).encode() + b"\n"
    done = _worker("--dir", str(tmp_path), "--name", NAME, stdin=kwargs)
    assert done.returncode == 1
    assert b"ended before the whole run had arrived" in done.stderr
    assert os.listdir(tmp_path / "private") == []


def test_certificates_move_out_of_the_run_for_the_user_only(tmp_path: Path) -> None:
    run = tmp_path / "private" / NAME
    (run / "tls" / "acme-corp").mkdir(parents=True)
    (run / "tls" / "acme-corp" / "tls.crt").write_text("CERT")
    (run / "tls" / "acme-corp" / "tls.key").write_text("KEY")
    install_certificates(run, tmp_path)
    kept = tmp_path / "tls" / "acme-corp"
    assert (kept / "tls.key").read_text() == "KEY"
    assert (kept / "tls.key").stat().st_mode & 0o777 == 0o600
    assert kept.stat().st_mode & 0o777 == 0o700
    assert not (run / "tls").exists()
    (run / "tls" / "..evil").mkdir(parents=True)
    with pytest.raises(UserError, match="malformed customer"):
        install_certificates(run, tmp_path)
