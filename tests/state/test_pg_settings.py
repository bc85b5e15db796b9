"""A PostgreSQL state named in the settings, ASP_STATE or --state; its password never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from asp_provision.config import Workspace, load_settings
from asp_provision.errors import ConfigError
from asp_provision.state.url import PgUrl, mask
from tests.cli.helpers import run_cli
from tests.postgres import Cluster


def test_the_setting_names_a_database_and_shows_no_password(tmp_path: Path) -> None:
    url = "postgresql://asp:Hunter2@db.example.net:5433/asp?sslmode=require"
    (tmp_path / "asp-provision.toml").write_text(f'state = "{url}"\n')
    state = Workspace(tmp_path).state_path
    assert isinstance(state, PgUrl) and state.url == url
    assert str(state) == "postgresql://asp:***@db.example.net:5433/asp?sslmode=require"
    assert "Hunter2" not in repr(state)
    (tmp_path / "asp-provision.toml").write_text('state = "state/here.db"\n')
    assert Workspace(tmp_path).state_path == tmp_path / "state" / "here.db"


def test_a_malformed_url_is_refused_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / "asp-provision.toml").write_text('state = "postgresql://asp:Hunter2@db:99999/x"\n')
    with pytest.raises(ConfigError) as bad:
        load_settings(tmp_path)
    assert "state" in str(bad.value) and "Hunter2" not in str(bad.value)


def test_mask_hides_every_password() -> None:
    text = "a postgresql://u:p%40ss@h/d and postgres://v:w@h2:1/e, postgresql://nopass@h/d"
    assert mask(text) == (
        "a postgresql://u:***@h/d and postgres://v:***@h2:1/e, postgresql://nopass@h/d"
    )


def test_asp_state_and_option_reach_the_database(tmp_path: Path, pg_cluster: Cluster) -> None:
    url = pg_cluster.create_database().replace("postgres@", "postgres:Hunter2@")
    by_env = run_cli("unlock", "acme-corp", cwd=tmp_path, env={"ASP_STATE": url})
    assert by_env.returncode == 2, by_env.stderr
    assert "on a PostgreSQL state a lock ends with the connection" in by_env.stderr
    by_option = run_cli("--state", url, "unlock", "acme-corp", cwd=tmp_path)
    assert by_option.returncode == 2 and "PostgreSQL state" in by_option.stderr
    assert "Hunter2" not in by_env.stderr + by_option.stderr
    assert not (tmp_path / ".asp" / "state.db").exists()


def test_a_database_of_other_tables_is_left_alone(pg_url: str) -> None:
    from asp_provision.errors import StateError
    from asp_provision.state.store import StateReader, StateStore
    from tests.state.backends import execute, rows

    state = PgUrl(pg_url)
    execute(state, "CREATE TABLE invoices_of_someone_else (id int)")
    for attempt in (lambda: StateReader(state).snapshot(), lambda: StateStore(state).open()):
        with pytest.raises(StateError, match="holds tables, but not an asp-provision state"):
            attempt()
    assert rows(state, "SELECT to_regclass('asp_schema')") == [(None,)]


def test_a_crash_report_masks_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from asp_provision.cli.app import _debug_log

    url = "postgresql://asp:Hunter2@db.example.net/asp"
    monkeypatch.setattr("sys.argv", ["asp-provision", "--state", url, "status"])
    try:
        raise RuntimeError(f"lost {url}")
    except RuntimeError:
        log = Path(_debug_log())
    text = log.read_text()
    log.unlink()
    assert "Hunter2" not in text
    assert "postgresql://asp:***@db.example.net/asp" in text and "RuntimeError" in text
