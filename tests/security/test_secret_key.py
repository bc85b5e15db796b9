"""The workspace's fingerprint key: made 0600 on first need, refused when not private."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pytest

from asp_provision.run import secrets
from tests.cli.helpers import run_cli
from tests.security.helpers import secret_workspace


def test_the_key_is_made_private_on_first_need_and_kept(tmp_path: Path) -> None:
    asp = tmp_path / ".asp"
    assert secrets.load_key(asp, create=False) is None
    assert not asp.exists()  # looking for it makes nothing
    key = secrets.load_key(asp, create=True)
    assert key is not None and len(key) == 32
    info = (asp / "secret.key").lstat()
    assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert secrets.load_key(asp, create=True) == key
    assert [p.name for p in asp.iterdir()] == ["secret.key"]


def test_a_fingerprint_is_keyed_not_a_plain_hash(tmp_path: Path) -> None:
    key = secrets.load_key(tmp_path, create=True)
    assert key is not None
    fingerprint = secrets.fingerprint("hunter2", key)
    assert fingerprint == "hmac-sha256:" + hmac.new(key, b"hunter2", hashlib.sha256).hexdigest()
    assert hashlib.sha256(b"hunter2").hexdigest() not in fingerprint
    other = os.urandom(32)
    assert secrets.fingerprint("hunter2", other) != fingerprint


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_open_to_others_is_refused(tmp_path: Path, mode: int) -> None:
    secrets.load_key(tmp_path, create=True)
    (tmp_path / "secret.key").chmod(mode)
    with pytest.raises(secrets.SecretError, match="chmod 600"):
        secrets.load_key(tmp_path, create=True)


def test_a_key_that_is_a_symlink_or_a_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(os.urandom(32))
    elsewhere.chmod(0o600)
    asp = tmp_path / ".asp"
    asp.mkdir()
    (asp / "secret.key").symlink_to(elsewhere)
    with pytest.raises(secrets.SecretError, match="symbolic link"):
        secrets.load_key(asp, create=True)
    (asp / "secret.key").unlink()
    (asp / "secret.key").mkdir()
    with pytest.raises(secrets.SecretError, match="is a folder, not a file"):
        secrets.load_key(asp, create=True)


def test_a_damaged_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_bytes(b"short")
    path.chmod(0o600)
    with pytest.raises(secrets.SecretError, match="damaged"):
        secrets.load_key(tmp_path, create=False)


def test_plan_refuses_a_loose_key_with_a_clear_error(tmp_path: Path) -> None:
    ws = secret_workspace(tmp_path / "ws", "env:GLOBEX_OIDC_SECRET")
    key = ws / ".asp" / "secret.key"
    key.parent.mkdir()
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)
    result = run_cli("plan", cwd=ws, env={"GLOBEX_OIDC_SECRET": "x"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "secret.key: the secret key is open to others (mode 0644)" in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_never_makes_the_key(tmp_path: Path) -> None:
    ws = secret_workspace(tmp_path / "ws", "env:GLOBEX_OIDC_SECRET")
    result = run_cli("plan", cwd=ws, env={"GLOBEX_OIDC_SECRET": "x"})
    assert result.returncode == 0, result.stderr
    assert not (ws / ".asp").exists()
