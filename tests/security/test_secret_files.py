"""``file:`` secrets: a regular file of at most 64 KiB of UTF-8, read without ever blocking."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from asp_provision.run import secrets
from tests.cli.helpers import run_cli
from tests.security.helpers import secret_workspace

FIELD = "spec.security.sso.client_secret"


def resolve(path: Path) -> str:
    return secrets.resolve(f"file:{path}", FIELD, path.parent)


def test_a_regular_file_is_read_without_its_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "oidc"
    path.write_text("s3cret-välue\n", encoding="utf-8")
    assert resolve(path) == "s3cret-välue"


def test_a_relative_path_is_read_from_the_spec_folder(tmp_path: Path) -> None:
    (tmp_path / "oidc").write_text("rel-secret", encoding="utf-8")
    assert secrets.resolve("file:oidc", FIELD, tmp_path) == "rel-secret"


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(secrets.SecretError, match=f"{FIELD}: secret file .* is a FIFO"):
        resolve(fifo)
    assert time.monotonic() - started < 2


def test_a_device_is_refused_without_reading_it() -> None:
    with pytest.raises(secrets.SecretError, match=f"{FIELD}: secret file /dev/zero is a device"):
        resolve(Path("/dev/zero"))


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(secrets.SecretError, match="is a folder, not a regular file"):
        resolve(tmp_path)


def test_binary_content_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bin"
    path.write_bytes(b"abc\0def")
    with pytest.raises(secrets.SecretError, match="holds binary data"):
        resolve(path)


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1"
    path.write_bytes("s\xe9cret".encode("latin-1"))
    with pytest.raises(secrets.SecretError, match="is not UTF-8 text"):
        resolve(path)


def test_more_than_64_kib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"a" * (64 * 1024))
    assert len(resolve(path)) == 64 * 1024
    path.write_bytes(b"a" * (64 * 1024 + 1))
    with pytest.raises(secrets.SecretError, match="larger than 64 KiB"):
        resolve(path)


def test_a_missing_file_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(secrets.SecretError, match=f"{FIELD}: cannot read secret file"):
        resolve(tmp_path / "nope")


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "folder"])
def test_apply_stops_with_a_clear_error_before_ansible(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        target = tmp_path / "fifo"
        os.mkfifo(target)
    elif kind == "folder":
        target = tmp_path / "folder"
        target.mkdir()
    else:
        target = Path(kind)
    ws = secret_workspace(tmp_path / "ws", f"file:{target}")
    result = run_cli("apply", "--yes", cwd=ws, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"specs/globex-bank.yaml: {FIELD}: secret file {target} is" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (ws / ".asp" / "runs").exists()  # Ansible never started
