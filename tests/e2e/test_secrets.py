"""Secrets with real Ansible: refresh, rotation, and nothing at rest after a SIGKILL."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from asp_provision.plan.steps import STEPS
from tests.e2e.conftest import query
from tests.e2e.test_interrupts import _ansible_processes
from tests.security.helpers import secret_workspace

pytestmark = pytest.mark.slow

VAR = "GLOBEX_OIDC_SECRET"


def run(
    ws: Path, *args: str, secret: str | None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != VAR}
    env["NO_COLOR"] = "1"
    if secret is not None:
        env[VAR] = secret
    return subprocess.run(
        [sys.executable, "-m", "asp_provision", *args],
        cwd=ws,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def holding(root: Path, needle: bytes, skip: Path | None = None) -> list[Path]:
    """Files under ``root`` (but not under ``skip``) that contain ``needle``."""
    found = []
    for folder, dirs, files in os.walk(root, onerror=lambda _: None):
        if skip is not None:
            dirs[:] = [d for d in dirs if Path(folder) / d != skip]
        for name in files:
            path = Path(folder) / name
            try:
                if path.is_symlink() or not path.is_file() or path.stat().st_size > 50_000_000:
                    continue
                if needle in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


def keyed(ws: Path, secret: str) -> str:
    key = (ws / ".asp" / "secret.key").read_bytes()
    return "hmac-sha256:" + hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """globex-bank applied with a secret from the environment."""
    secret = "first-" + os.urandom(8).hex()
    ws = secret_workspace(tmp_path_factory.mktemp("secrets") / "ws", f"env:{VAR}")
    result = run(ws, "apply", "--yes", secret=secret)
    assert result.returncode == 0, result.stdout + result.stderr
    yield ws, secret


def test_refresh_works_with_env_secrets(applied: tuple[Path, str]) -> None:
    ws, secret = applied
    nft = ws / ".asp/site/globex-bank/network/nftables.nft"
    nft.write_text(nft.read_text() + "# edited by hand\n")
    planned = run(ws, "plan", "--refresh", secret=secret)
    assert planned.returncode == 0, planned.stderr
    assert "drifted: 1 task would change" in planned.stdout
    result = run(ws, "apply", "--yes", "--refresh", secret=secret)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not set" not in result.stderr
    assert "# edited by hand" not in nft.read_text()
    assert "No changes." in run(ws, "plan", secret=secret).stdout


def test_status_shows_nothing_pending_with_or_without_the_secret(
    applied: tuple[Path, str],
) -> None:
    ws, secret = applied
    for given in (secret, None):
        result = run(ws, "status", "--format", "json", secret=given)
        assert result.returncode == 0, result.stderr
        (customer,) = json.loads(result.stdout)["customers"]
        # all but go_live, which waits for the customer's sign-offs
        assert (customer["applied"], customer["pending"]) == (len(STEPS) - 1, 1)


def test_state_and_site_keep_only_a_keyed_fingerprint(applied: tuple[Path, str]) -> None:
    ws, secret = applied
    key = ws / ".asp" / "secret.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    plain = hashlib.sha256(secret.encode()).hexdigest().encode()
    for needle in (secret.encode(), plain):
        assert holding(ws, needle) == []
    (inputs,) = query(
        ws / ".asp/state.db",
        "SELECT inputs_json FROM steps WHERE customer = 'globex-bank' AND step = 'security'",
    )[0:1]
    sso = json.loads(inputs[0])["spec.security"]["sso"]["client_secret"]
    assert sso == {"reference": f"env:{VAR}", "fingerprint": keyed(ws, secret)}
    site = json.loads((ws / ".asp/site/globex-bank/security/sso.json").read_text())
    assert site["client_secret_fingerprint"] == keyed(ws, secret)


def test_a_rotated_secret_is_a_change(applied: tuple[Path, str]) -> None:
    ws, _ = applied
    rotated = "rotated-" + os.urandom(8).hex()
    text = run(ws, "plan", secret=rotated)
    assert text.returncode == 0, text.stderr
    assert "~ security.sso.client_secret: (secret changed)" in text.stdout
    assert "security        update   1 field changed" in text.stdout
    as_json = run(ws, "plan", "--format", "json", secret=rotated)
    steps = {s["step"]: s for s in json.loads(as_json.stdout)["customers"][0]["steps"]}
    assert steps["security"]["changes"] == [
        {
            "op": "~",
            "path": "security.sso.client_secret",
            "before": "(secret)",
            "after": "(secret changed)",
        }
    ]
    for output in (text.stdout, as_json.stdout):
        assert "hmac-sha256" not in output and keyed(ws, rotated)[12:] not in output

    # without the secret, plan says it cannot compare, and plans nothing for it
    blind = run(ws, "plan", secret=None)
    assert blind.returncode == 0, blind.stderr
    assert (
        "note: security.sso.client_secret: the secret cannot be compared with the one "
        f"applied (environment variable {VAR} is not set)"
    ) in blind.stdout
    assert "No changes." in blind.stdout

    result = run(ws, "apply", "--yes", secret=rotated)
    assert result.returncode == 0, result.stdout + result.stderr
    site = json.loads((ws / ".asp/site/globex-bank/security/sso.json").read_text())
    assert site["client_secret_fingerprint"] == keyed(ws, rotated)
    assert "No changes." in run(ws, "plan", secret=rotated).stdout
    assert holding(ws, rotated.encode()) == []


def test_no_secret_at_rest_after_sigkill(tmp_path: Path) -> None:
    secret = "killed-" + os.urandom(8).hex()
    ws = secret_workspace(tmp_path / "ws", f"env:{VAR}")
    env = {**os.environ, VAR: secret, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "asp_provision", "apply", "--yes"],
        cwd=ws,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    private = ws / ".asp" / "private"
    deadline = time.monotonic() + 300
    ansible_pid = 0
    while time.monotonic() < deadline and not ansible_pid:
        for lock in private.glob("*.lock") if private.exists() else []:
            text = lock.read_text().strip()
            ansible_pid = int(text) if text else 0
        time.sleep(0.1)
    assert ansible_pid, "ansible-playbook did not start"
    time.sleep(2)  # mid-run
    os.kill(proc.pid, signal.SIGKILL)
    os.kill(ansible_pid, signal.SIGKILL)
    proc.wait()
    for pid in _ansible_processes(ws):  # its workers, which ansible-core detaches
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    time.sleep(1)

    # the run's inventory is all that held the secret, in the private folder
    left = holding(ws, secret.encode())
    assert left and all(private in p.parents for p in left), left
    assert [p.name for p in left] == ["hosts.json"], left
    assert list(private.glob("run-*/artifacts/*/command"))  # ansible-runner's record
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    assert holding(tmp, secret.encode(), skip=ws) == []

    # the next command removes it
    status = run(ws, "status", secret=None)
    assert status.returncode == 0, status.stderr
    assert holding(ws, secret.encode()) == []
    assert holding(tmp, secret.encode()) == []
    assert list(private.iterdir()) == []
