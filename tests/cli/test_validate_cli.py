from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.helpers import ROOT, run_cli

ACME = ROOT / "specs" / "acme-corp.yaml"
ON_THE_EXAMPLES_DAY = {"ASP_NOW": "2026-12-01"}
"""A day from which the examples' go-live dates are reachable (validate warns otherwise)."""


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A folder with one valid spec and one with a misspelt key on line 16."""
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(ACME, folder / "acme-corp.yaml")
    text = (ROOT / "specs" / "globex-bank.yaml").read_text()
    (folder / "globex-bank.yaml").write_text(text.replace("bandwidth_mbps:", "bandwith_mbps:"))
    return folder


def test_examples_are_valid() -> None:
    result = run_cli("validate", env=ON_THE_EXAMPLES_DAY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 files: 3 valid, 0 invalid; 0 errors, 0 warnings" in result.stdout


def test_text_names_file_line_column_and_field(broken: Path) -> None:
    result = run_cli("validate", str(broken), env=ON_THE_EXAMPLES_DAY)
    assert result.returncode == 1
    bad = broken / "globex-bank.yaml"
    assert (
        f"{bad}:16:5: error: spec.network.bandwith_mbps: unknown field 'bandwith_mbps'; "
        "did you mean 'bandwidth_mbps'?" in result.stdout
    )
    assert result.stdout.strip().endswith("2 files: 1 valid, 1 invalid; 1 error, 0 warnings")
    assert "\x1b[" not in result.stdout


def test_json_format(broken: Path) -> None:
    result = run_cli("validate", str(broken), "--format", "json", env=ON_THE_EXAMPLES_DAY)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["format_version"] == 1
    assert report["summary"] == {"files": 2, "valid": 1, "invalid": 1, "errors": 1, "warnings": 0}
    bad = next(f for f in report["files"] if not f["valid"])
    assert bad["customer"] == "globex-bank"
    assert bad["diagnostics"] == [
        {
            "severity": "error",
            "code": "unknown-field",
            "field": "spec.network.bandwith_mbps",
            "line": 16,
            "column": 5,
            "message": "unknown field 'bandwith_mbps'; did you mean 'bandwidth_mbps'?",
        }
    ]


def test_github_format(broken: Path) -> None:
    result = run_cli("validate", str(broken), "-f", "github")
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("::error"))
    assert line.startswith(f"::error file={broken / 'globex-bank.yaml'},line=16,col=5,")
    assert line.endswith(
        "::spec.network.bandwith_mbps: unknown field 'bandwith_mbps'; "
        "did you mean 'bandwidth_mbps'?"
    )


def test_junit_format(broken: Path) -> None:
    result = run_cli("validate", str(broken), "-f", "junit")
    assert result.returncode == 1
    root = ET.fromstring(result.stdout)
    cases = root.findall(".//testcase")
    assert len(cases) == 2
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == [str(broken / "globex-bank.yaml")]
    assert "bandwith_mbps" in (failed[0].find("failure").text or "")  # type: ignore[union-attr]


def test_duplicate_customer_is_an_error_on_the_second_file(tmp_path: Path) -> None:
    shutil.copy(ACME, tmp_path / "acme-corp.yaml")
    shutil.copy(ACME, tmp_path / "zz-copy.yaml")
    result = run_cli("validate", str(tmp_path), "-f", "json")
    assert result.returncode == 1
    files = json.loads(result.stdout)["files"]
    assert files[0]["valid"] is True
    dup = [d for d in files[1]["diagnostics"] if d["code"] == "duplicate-customer"]
    assert dup[0]["field"] == "metadata.customer"
    assert dup[0]["line"] == 5
    assert str(tmp_path / "acme-corp.yaml") in dup[0]["message"]


def test_strict_fails_on_warnings(tmp_path: Path) -> None:
    text = ACME.read_text().replace("198.51.100.7/32]", "0.0.0.0/0]")
    spec = tmp_path / "acme-corp.yaml"
    spec.write_text(text)
    assert run_cli("validate", str(spec)).returncode == 0
    strict = run_cli("validate", "--strict", str(spec))
    assert strict.returncode == 1
    assert "warning: spec.network.allow_from[1]: 0.0.0.0/0 allows the whole internet" in (
        strict.stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "no/such/path"], "no such file or folder: no/such/path"),
        (["validate", "--format", "xml"], "Invalid value for '--format'"),
        (["validate", "--catalog", "missing.yaml"], "no such catalog file: missing.yaml"),
        (["--no-such-flag"], "No such option"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_catalog_names_file_and_line(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text((ROOT / "catalog.yaml").read_text().replace("per_seat: 12", "per_seat: x"))
    result = run_cli("validate", "--catalog", str(catalog), str(ACME))
    assert result.returncode == 1
    assert f"{catalog}:" in result.stderr
    assert "tiers.silver.prices.per_seat" in result.stderr
    assert "Traceback" not in result.stderr


def test_many_files_in_parallel_keep_their_order(tmp_path: Path) -> None:
    text = ACME.read_text()
    for i in range(60):
        name = f"cust-{i:03d}"
        body = text.replace("acme-corp", name).replace("mail.acme", f"mail.{name}")
        if i == 41:
            body = body.replace("role: staff}", "role: nobody}")
        (tmp_path / f"{name}.yaml").write_text(body)
    result = run_cli("validate", str(tmp_path), "-f", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert [f["customer"] for f in report["files"]] == [f"cust-{i:03d}" for i in range(60)]
    assert [f["customer"] for f in report["files"] if not f["valid"]] == ["cust-041"]


def test_python_m_and_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("asp-provision ")
