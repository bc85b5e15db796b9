"""The data conversion's source file, checked in its workspace; training in both forms."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from asp_provision.plan.effort import units
from asp_provision.spec.catalog import load_catalog
from asp_provision.spec.check import CheckedSpec, check_file
from asp_provision.spec.models import DataConversion
from asp_provision.spec.onboarding import source_digest
from tests.cli.helpers import run_cli
from tests.spec.helpers import example, position_of, write_spec

CONVERSION = {
    "format": "csv",
    "file": "data/acme-customers.csv",
    "key": "customer_id",
    "fields": {"customer_id": "string", "email": "email", "opened": "date"},
}
HEADER = "customer_id,name,email,opened\nC1,Ann,ann@old.example.com,2020-01-01\n"


def workspace(tmp_path: Path, conversion: dict[str, Any], source: str | None = HEADER) -> Path:
    """A workspace with acme-corp's spec converting ``conversion``; returns the spec."""
    (tmp_path / "specs").mkdir()
    if source is not None:
        (tmp_path / "data").mkdir()
        (tmp_path / conversion["file"]).write_text(source, encoding="utf-8")

    def edit(data: dict[str, Any]) -> None:
        data["spec"]["onboarding"]["data_conversion"] = conversion

    return write_spec(tmp_path / "specs", example(), edit)


def problems(result: CheckedSpec) -> list[tuple[str, str | None]]:
    return [(d.code, d.field) for d in result.diagnostics if d.code != "file-name"]


def checked(spec: Path, ws: Path) -> CheckedSpec:
    return check_file(spec, load_catalog(), workspace=ws)


def test_a_source_with_every_declared_column_is_valid(tmp_path: Path) -> None:
    spec = workspace(tmp_path, CONVERSION)
    assert problems(checked(spec, tmp_path)) == []


def test_a_missing_source_is_located_at_file(tmp_path: Path) -> None:
    spec = workspace(tmp_path, CONVERSION, source=None)
    result = checked(spec, tmp_path)
    assert problems(result) == [("conversion-file-missing", "spec.onboarding.data_conversion.file")]
    (diagnostic,) = result.diagnostics
    assert diagnostic.line == position_of(spec, "data/acme-customers.csv")[0]
    assert "no such file: data/acme-customers.csv" in diagnostic.message


def test_a_column_missing_from_the_header_is_located_at_its_field(tmp_path: Path) -> None:
    fields = {**CONVERSION["fields"], "phone": "string"}
    spec = workspace(tmp_path, {**CONVERSION, "fields": fields})
    result = checked(spec, tmp_path)
    assert problems(result) == [
        ("conversion-column-missing", "spec.onboarding.data_conversion.fields.phone")
    ]
    (diagnostic,) = result.diagnostics
    assert diagnostic.line == position_of(spec, "phone:")[0]
    assert "column 'phone' is not in the header of data/acme-customers.csv" in diagnostic.message
    assert "(it has: customer_id, name, email, opened)" in diagnostic.message


def test_jsonl_columns_are_the_keys_of_the_first_record(tmp_path: Path) -> None:
    conversion = {**CONVERSION, "format": "jsonl", "file": "data/acme.jsonl"}
    record = {"customer_id": "C1", "email": "a@old.example.com", "opened": "2020-01-01"}
    spec = workspace(tmp_path, conversion, "\n" + json.dumps(record) + "\n")
    assert problems(checked(spec, tmp_path)) == []
    spec.unlink()
    (tmp_path / "specs").rmdir()
    (tmp_path / "data" / "acme.jsonl").unlink()
    (tmp_path / "data").rmdir()
    spec = workspace(tmp_path, conversion, json.dumps({"customer_id": "C1"}) + "\n")
    assert [c for c, _ in problems(checked(spec, tmp_path))] == ["conversion-column-missing"] * 2


def test_a_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(HEADER, encoding="utf-8")
    ws = tmp_path / "ws"
    ws.mkdir()
    spec = workspace(ws, CONVERSION, source=None)
    (ws / "data").mkdir()
    (ws / "data" / "acme-customers.csv").symlink_to(outside)
    result = checked(spec, ws)
    assert problems(result) == [("conversion-file-outside", "spec.onboarding.data_conversion.file")]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"customer_id,n\xe9\n", "not UTF-8"),
    ],
)
def test_an_unreadable_source_says_why(tmp_path: Path, content: bytes, reason: str) -> None:
    spec = workspace(tmp_path, CONVERSION)
    (tmp_path / CONVERSION["file"]).write_bytes(content)
    result = checked(spec, tmp_path)
    assert problems(result) == [
        ("conversion-file-unreadable", "spec.onboarding.data_conversion.file")
    ]
    assert reason in result.diagnostics[0].message


def test_a_folder_is_not_a_source(tmp_path: Path) -> None:
    spec = workspace(tmp_path, CONVERSION, source=None)
    (tmp_path / CONVERSION["file"]).mkdir(parents=True)
    assert [c for c, _ in problems(checked(spec, tmp_path))] == ["conversion-file-missing"]


def test_validate_reports_the_source_with_file_line_and_column(tmp_path: Path) -> None:
    spec = workspace(tmp_path, {**CONVERSION, "fields": {**CONVERSION["fields"], "vat": "string"}})
    result = run_cli("validate", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    (found,) = [
        d
        for f in json.loads(result.stdout)["files"]
        for d in f["diagnostics"]
        if d["code"] == "conversion-column-missing"
    ]
    assert found["field"] == "spec.onboarding.data_conversion.fields.vat"
    assert found["line"] == position_of(spec, "vat:")[0]
    (tmp_path / CONVERSION["file"]).write_text(HEADER.replace("name", "vat"), encoding="utf-8")
    assert run_cli("validate", cwd=tmp_path).returncode == 0


def test_the_source_digest_is_the_files_sha256(tmp_path: Path) -> None:
    workspace(tmp_path, CONVERSION)
    conversion = DataConversion.model_validate(CONVERSION)
    data = (tmp_path / CONVERSION["file"]).read_bytes()
    assert source_digest(tmp_path, conversion) == hashlib.sha256(data).hexdigest()
    assert source_digest(tmp_path, DataConversion(source="csv", records=10)) is None


def _units(tmp_path: Path, training: dict[str, Any]) -> dict[str, float]:
    def edit(data: dict[str, Any]) -> None:
        data["spec"]["onboarding"]["training"] = training

    result = check_file(write_spec(tmp_path, example(), edit), load_catalog())
    assert result.subscription is not None, result.diagnostics
    return dict(units(result.subscription))


def test_training_is_estimated_from_its_sessions_and_distinct_attendees(tmp_path: Path) -> None:
    old = _units(tmp_path, {"sessions": 2, "attendees": 12})
    assert (old["training_sessions"], old["training_attendees"]) == (2, 12)
    listed = _units(
        tmp_path,
        {
            "sessions": [
                {"date": "2026-12-08", "topic": "Basics", "attendees": ["a@acme.example"]},
                {
                    "date": "2026-12-09",
                    "topic": "Admin",
                    "attendees": ["A@acme.example", "b@acme.example"],
                },
                {"date": "2026-12-10", "topic": "Reports", "attendees": ["b@acme.example"]},
            ]
        },
    )
    assert (listed["training_sessions"], listed["training_attendees"]) == (3, 2)
