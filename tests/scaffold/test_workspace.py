"""`init`: a new workspace with what an ASP needs, never overwriting a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asp_provision.errors import UsageError
from asp_provision.plan.steps import STEPS
from asp_provision.scaffold.new import spec_path, write_spec
from asp_provision.scaffold.templates import Templates
from asp_provision.scaffold.workspace import init_workspace
from asp_provision.spec.catalog import load_catalog
from asp_provision.spec.check import check_file
from tests.scaffold.helpers import ROOT, deal_values, read

SCHEMA = json.dumps({"title": "schema"})


def test_a_new_workspace_has_catalog_templates_playbooks_and_an_empty_specs_folder(
    tmp_path: Path,
) -> None:
    root = tmp_path / "asp"
    result = init_workspace(root, schema=SCHEMA)
    assert result.kept == ()
    assert (root / "catalog.yaml").read_text() == (ROOT / "catalog.yaml").read_text()
    for name in ("spec.yaml.j2", "service-definition.md.j2", "service-definition.html.j2"):
        assert (root / "templates" / name).read_text() == (ROOT / "templates" / name).read_text()
    assert not (root / "templates" / "workspace-readme.md.j2").exists()
    ours = ROOT / "playbooks"
    playbooks = sorted(str(p.relative_to(ours)) for p in ours.rglob("*") if p.is_file())
    assert playbooks
    made = root / "playbooks"
    assert sorted(str(p.relative_to(made)) for p in made.rglob("*") if p.is_file()) == playbooks
    for step in STEPS.values():
        assert (made / step.apply_tasks).is_file(), step.name
    assert (made / "library" / "asp_user_db.py").is_file()
    assert list((root / "specs").iterdir()) == []
    assert (root / ".gitignore").read_text() == ".asp/\n"
    assert (root / "schema" / "subscription.schema.json").read_text() == SCHEMA
    readme = (root / "README.md").read_text()
    assert readme.startswith("# asp: customer onboarding with asp-provision")
    assert "asp-provision new" in readme
    assert "- platinum: Expert response in 5 minutes" in readme
    assert not any("__pycache__" in str(p) for p in result.created)


def test_a_spec_made_in_a_new_workspace_validates(tmp_path: Path) -> None:
    init_workspace(tmp_path / "asp")
    catalog = load_catalog(tmp_path / "asp" / "catalog.yaml")
    deal = read(deal_values())
    from asp_provision.scaffold.new import new_spec

    path = spec_path(tmp_path / "asp" / "specs", deal.customer)
    write_spec(new_spec(deal, catalog, Templates(tmp_path / "asp" / "templates"), path))
    assert check_file(path, catalog).diagnostics == []


def test_a_folder_that_is_not_empty_needs_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="is not empty; pass --force"):
        init_workspace(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_force_never_overwrites_a_file(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text("my catalog\n")
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "spec.yaml.j2").write_text("my template\n")
    result = init_workspace(tmp_path, force=True)
    assert sorted(map(str, result.kept)) == [
        ".gitignore",
        "catalog.yaml",
        "templates/spec.yaml.j2",
    ]
    assert (tmp_path / "catalog.yaml").read_text() == "my catalog\n"
    assert (tmp_path / ".gitignore").read_text() == "build/\n"
    assert (tmp_path / "templates" / "spec.yaml.j2").read_text() == "my template\n"
    assert (tmp_path / "templates" / "service-definition.md.j2").is_file()
    again = init_workspace(tmp_path, force=True)
    assert again.created == ()


def test_a_file_is_not_a_workspace_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="is a file"):
        init_workspace(tmp_path / "file", force=True)
