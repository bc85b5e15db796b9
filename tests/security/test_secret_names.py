"""``env:NAME`` never names a variable the run relies on, and reading it changes nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from asp_provision.run import secrets
from tests.cli.helpers import run_cli
from tests.security.helpers import secret_workspace
from tests.spec.helpers import position_of


@pytest.mark.parametrize(
    "name",
    ["PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "ANSIBLE_CONFIG", "PYTHONPATH",
     "LD_PRELOAD", "SSH_AUTH_SOCK", "ASP_STATE", "path"],
)  # fmt: skip
def test_validate_refuses_a_reserved_name_at_its_field(tmp_path: Path, name: str) -> None:
    ws = secret_workspace(tmp_path / "ws", f"env:{name}")
    result = run_cli("validate", "--format", "json", cwd=ws)
    assert result.returncode == 1, result.stdout + result.stderr
    found = [d for f in json.loads(result.stdout)["files"] for d in f["diagnostics"]]
    assert len(found) == 1, found
    d = found[0]
    line, column = position_of(ws / "specs" / "globex-bank.yaml", "client_secret:")
    assert (d["code"], d["field"], d["line"], d["column"]) == (
        "secret-name-reserved",
        "spec.security.sso.client_secret",
        line,
        column,
    )
    assert f"env:{name}" in d["message"]


def test_an_ordinary_name_is_accepted(tmp_path: Path) -> None:
    ws = secret_workspace(tmp_path / "ws", "env:GLOBEX_PATH_SECRET")
    result = run_cli("validate", cwd=ws)
    assert result.returncode == 0, result.stdout + result.stderr


def test_resolving_refuses_a_reserved_name_too(tmp_path: Path) -> None:
    # a spec recorded before the rule, or a saved plan, never reaches the environment
    with pytest.raises(secrets.SecretError, match="env:PATH names an environment variable"):
        secrets.resolve("env:PATH", "spec.security.sso.client_secret", tmp_path)


def test_resolving_leaves_the_environment_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOME_OIDC_SECRET", "value-1")
    before = dict(os.environ)
    assert secrets.resolve("env:SOME_OIDC_SECRET", "f", tmp_path) == "value-1"
    assert secrets.resolve("env:SOME_OIDC_SECRET", "f", tmp_path) == "value-1"
    assert dict(os.environ) == before
