from __future__ import annotations

import json

from asp_provision.service import subscription_schema
from tests.cli.helpers import ROOT, run_cli


def test_committed_schema_is_up_to_date() -> None:
    committed = json.loads((ROOT / "schema" / "subscription.schema.json").read_text())
    assert committed == subscription_schema(), (
        "schema/subscription.schema.json is out of date: "
        "run `asp-provision schema --out schema/subscription.schema.json`"
    )


def test_schema_marks_the_secret_and_forbids_unknown_keys() -> None:
    schema = subscription_schema()
    sso = schema["$defs"]["Sso"]
    assert sso["properties"]["client_secret"]["secret"] is True
    assert sso["additionalProperties"] is False
    assert schema["properties"]["apiVersion"]["const"] == "asp-provision/v1"


def test_schema_command_writes_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "s.json"
    result = run_cli("schema", "--out", str(out))
    assert result.returncode == 0
    assert json.loads(out.read_text()) == subscription_schema()
