"""Every number of a spec has a bound, and a spec at every bound is planned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from asp_provision.spec.models import Subscription
from tests.e2e.conftest import cli, make_workspace
from tests.spec.helpers import example


def _numbers(schema: dict[str, Any], defs: dict[str, Any], where: str = "") -> list[str]:
    """Paths of integer and number fields without both a minimum and a maximum."""
    if "$ref" in schema:
        return _numbers(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, where)
    out: list[str] = []
    for option in schema.get("anyOf", []):
        out += _numbers(option, defs, where)
    if schema.get("type") in ("integer", "number") and "enum" not in schema:
        low = "minimum" in schema or "exclusiveMinimum" in schema
        if not (low and "maximum" in schema):
            out.append(where)
    for name, sub in schema.get("properties", {}).items():
        out += _numbers(sub, defs, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        out += _numbers(schema["items"], defs, f"{where}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        out += _numbers(schema["additionalProperties"], defs, f"{where}.*")
    return out


def test_every_number_of_the_schema_has_a_lower_and_an_upper_bound() -> None:
    schema = Subscription.model_json_schema(by_alias=True)
    assert _numbers(schema, schema["$defs"]) == []


def test_a_spec_at_every_upper_bound_is_planned(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    for other in ("globex-bank", "northwind-traders"):
        (ws / "specs" / f"{other}.yaml").unlink()
    doc = example("acme-corp")
    spec = doc["spec"]
    spec["sla"].update(response_minutes=10_080, resolution_hours=8_760, availability_pct=99.9)
    spec["network"]["bandwidth_mbps"] = 100_000
    spec["servers"]["pools"] = [
        {"role": "app", "count": 100, "cpu_cores": 256, "memory_gb": 4096, "disk_gb": 100_000}
    ]
    spec["platform"]["storage"].update(size_gb=1_000_000)
    spec["platform"]["storage"]["backups"]["retention_days"] = 3650
    spec["security"]["password_policy"].update(min_length=128, max_age_days=3650)
    spec["security"]["session_timeout_minutes"] = 1440
    spec["billing"]["seats"] = 1_000_000
    spec["onboarding"]["data_conversion"]["records"] = 1_000_000_000
    spec["onboarding"]["training"] = {"sessions": 100, "attendees": 100_000}
    (ws / "specs" / "acme-corp.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    # a policy may not be weaker than the tier's: this catalog's gold tier allows the bounds
    catalog = ws / "catalog.yaml"
    text = catalog.read_text()
    gold = text.index("  gold:")
    relaxed = (
        text[gold:]
        .replace("max_age_days: 90}", "max_age_days: 3650}", 1)
        .replace("session_timeout_minutes: 30", "session_timeout_minutes: 1440", 1)
    )
    assert relaxed.count("3650") == 1 and "1440" in relaxed
    catalog.write_text(text[:gold] + relaxed)

    result = cli(ws, "plan", "--format", "json")
    assert result.returncode == 0, result.stderr
    (acme,) = json.loads(result.stdout)["customers"]
    assert acme["charges"]["monthly"] > 0
    assert acme["estimate_hours"] > 10_000  # a billion records to convert
    text = cli(ws, "plan", "--detail")
    assert text.returncode == 0, text.stderr
    assert "Traceback" not in text.stderr
    status = cli(ws, "status", "--format", "json")
    assert status.returncode == 0, status.stderr


def test_a_number_past_any_float_is_an_error_not_a_crash(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    path = ws / "specs" / "acme-corp.yaml"
    path.write_text(path.read_text().replace("records: 120000", "records: " + "9" * 400))
    result = cli(ws, "plan", "specs/acme-corp.yaml")
    assert result.returncode == 1
    assert "spec.onboarding.data_conversion.records: input should be less than or equal to" in (
        result.stdout + result.stderr
    )
    assert "Traceback" not in result.stderr
