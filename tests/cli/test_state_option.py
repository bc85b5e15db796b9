from __future__ import annotations

import json
from pathlib import Path

from asp_provision.state.store import StateStore
from tests.cli.helpers import ROOT, run_cli


def test_state_option_chooses_the_database(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "state.db"
    with StateStore(db) as store:
        store.record_spec("ghost-customer", {"metadata": {"customer": "ghost-customer"}}, None)
    specs = str(ROOT / "specs")
    chosen = run_cli("--state", str(db), "plan", specs, "-f", "json", cwd=tmp_path)
    assert chosen.returncode == 0, chosen.stderr
    assert [o["customer"] for o in json.loads(chosen.stdout)["orphaned"]] == ["ghost-customer"]
    default = run_cli("plan", specs, "-f", "json", cwd=tmp_path)
    assert json.loads(default.stdout)["orphaned"] == []
    assert not (tmp_path / ".asp").exists()
