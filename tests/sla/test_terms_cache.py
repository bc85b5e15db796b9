"""The terms kept between reports: used while a file is unchanged, checked again after."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from asp_provision.errors import SpecsInvalid
from asp_provision.sla.cache import TermsCache
from asp_provision.sla.workflow import Customers, load_customers
from asp_provision.spec.batch import ValidationReport
from asp_provision.spec.catalog import load_catalog
from tests.cli.helpers import ROOT


def _workspace(tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    for spec in (ROOT / "specs").glob("*.yaml"):
        shutil.copy(spec, specs / spec.name)
    (tmp_path / ".asp").mkdir()
    return tmp_path


def _load(ws: Path, catalog_hash: str = "c1") -> Customers:
    cache = TermsCache(ws / ".asp" / "cache" / "sla-terms.json", catalog_hash)
    return load_customers(sorted((ws / "specs").glob("*.yaml")), load_catalog(), None, cache)


def _cached(ws: Path) -> dict[str, dict[str, object]]:
    files = json.loads((ws / ".asp" / "cache" / "sla-terms.json").read_text())["files"]
    assert isinstance(files, dict)
    return files


def test_terms_are_kept_and_used_while_the_file_is_unchanged(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    first = _load(ws)
    assert sorted(first.terms) == ["acme-corp", "globex-bank", "northwind-traders"]
    files = _cached(ws)
    assert sorted(f["customer"] for f in files.values()) == sorted(first.terms)
    # what is kept is what is used: a kept name shows, while the file is unchanged
    for data in files.values():
        data["name"] = "Kept " + str(data["name"])
    path = ws / ".asp" / "cache" / "sla-terms.json"
    stamp = json.loads(path.read_text())["stamp"]
    path.write_text(json.dumps({"stamp": stamp, "files": files}))
    assert _load(ws).terms["acme-corp"].name.startswith("Kept ")
    # another catalog: every file is checked again
    assert not _load(ws, "c2").terms["acme-corp"].name.startswith("Kept ")


def test_a_changed_file_is_checked_again(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    assert _load(ws).terms["northwind-traders"].timezone == "Europe/Berlin"
    spec = ws / "specs" / "northwind-traders.yaml"
    spec.write_text(spec.read_text().replace("Europe/Berlin", "Europe/Paris"))
    assert _load(ws).terms["northwind-traders"].timezone == "Europe/Paris"
    assert len(_cached(ws)) == 3  # the old file's terms are dropped


def test_a_file_broken_after_it_was_kept_is_an_error(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    _load(ws)
    spec = ws / "specs" / "acme-corp.yaml"
    spec.write_text(spec.read_text().replace("tier: gold", "tier: bronze"))
    with pytest.raises(SpecsInvalid) as caught:
        _load(ws)
    report = caught.value.report
    assert isinstance(report, ValidationReport)
    (bad,) = [f for f in report.files if f.errors]
    assert bad.path.endswith("acme-corp.yaml")


def test_a_second_file_of_a_kept_customer_is_an_error(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    _load(ws)
    shutil.copy(ws / "specs" / "acme-corp.yaml", ws / "specs" / "acme-corp-copy.yaml")
    with pytest.raises(SpecsInvalid) as caught:
        _load(ws)
    report = caught.value.report
    assert isinstance(report, ValidationReport)
    codes = {d.code for f in report.files for d in f.diagnostics}
    assert "duplicate-customer" in codes


def test_no_cache_is_written_without_the_workspace_folder(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    shutil.rmtree(ws / ".asp")
    assert len(_load(ws).terms) == 3
    assert not (ws / ".asp").exists()
