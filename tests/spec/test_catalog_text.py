"""A catalog without its gates, cut from its text: everything else stays as written."""

from __future__ import annotations

from pathlib import Path

from asp_provision.spec.catalog import load_catalog
from asp_provision.spec.catalog_text import without_gates
from tests.cli.helpers import ROOT


def test_the_project_catalog_without_gates_keeps_every_other_key(tmp_path: Path) -> None:
    text = (ROOT / "catalog.yaml").read_text(encoding="utf-8")
    cut = without_gates(text)
    assert "uat:" not in cut and "gates: {}\n" in cut
    # what comes after the gates stays, comments and the tax key NO (read as text) too
    assert cut.endswith(text[text.index("\n# engineer-hours") + 1 :])
    assert "NO: 25" in cut
    path = tmp_path / "catalog.yaml"
    path.write_text(cut, encoding="utf-8")
    catalog, full = load_catalog(path), load_catalog(ROOT / "catalog.yaml")
    assert catalog.gates == {} and full.gates
    assert catalog.model_dump(exclude={"gates"}) == full.model_dump(exclude={"gates"})


def test_a_flow_mapping_a_last_key_and_no_gates_at_all() -> None:
    flow = "kind: Catalog\ngates: {uat: {signs: acceptance, before: go_live}}\nzones: [a]\n"
    assert without_gates(flow) == "kind: Catalog\ngates: {}\nzones: [a]\n"
    last = "kind: Catalog\ngates:\n  uat:\n    signs: acceptance\n\n  # more\n"
    assert without_gates(last) == "kind: Catalog\ngates: {}\n"
    # a key that only starts like it, and a catalog that names none (the defaults apply)
    other = "kind: Catalog\ngates_note: x\n  gates: y\n"
    assert without_gates(other) == other + "gates: {}\n"
    assert without_gates("kind: Catalog") == "kind: Catalog\ngates: {}\n"


def test_blank_lines_and_comments_before_the_next_key_stay() -> None:
    text = "gates:\n  uat: {signs: acceptance, before: go_live}\n\n# Zones\nzones: [a]\n"
    assert without_gates(text) == "gates: {}\n\n# Zones\nzones: [a]\n"
