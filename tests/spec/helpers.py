"""Build spec files from the examples and read diagnostics the way a user reads them."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from asp_provision.spec.catalog import load_catalog
from asp_provision.spec.check import CheckedSpec, check_file
from asp_provision.spec.diagnostics import Diagnostic

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
CORPUS = Path(__file__).resolve().parent / "corpus"


def acme_workspace(folder: Path) -> Path:
    """A workspace in ``folder`` with the catalog and acme-corp's spec only."""
    (folder / "specs").mkdir(parents=True)
    shutil.copy(SPECS / "acme-corp.yaml", folder / "specs")
    shutil.copy(ROOT / "catalog.yaml", folder)
    return folder


def example_text(name: str = "acme-corp") -> str:
    """The text of one of the example specs in specs/."""
    return (SPECS / f"{name}.yaml").read_text(encoding="utf-8")


def example(name: str = "acme-corp") -> dict[str, Any]:
    """One of the example specs as plain data, to edit."""
    data: dict[str, Any] = yaml.safe_load(example_text(name))
    return data


def write_spec(
    folder: Path, data: dict[str, Any], edit: Callable[[dict[str, Any]], object] | None = None
) -> Path:
    """Dump ``data`` (after ``edit``) to ``folder/<customer>.yaml``, block style."""
    if edit is not None:
        edit(data)
    customer = data.get("metadata", {}).get("customer")
    path = folder / f"{customer if isinstance(customer, str) else 'spec'}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_text(folder: Path, text: str, name: str = "acme-corp") -> Path:
    """Write ``text`` as ``folder/<name>.yaml``."""
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def check(path: Path) -> CheckedSpec:
    """Check one file against the built-in catalog."""
    return check_file(path, load_catalog())


def position_of(path: Path, needle: str, nth: int = 1) -> tuple[int, int]:
    """Line and column (1-based) where ``needle`` starts in the file, its nth occurrence."""
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        start = line.find(needle)
        while start != -1:
            seen += 1
            if seen == nth:
                return number, start + 1
            start = line.find(needle, start + 1)
    raise AssertionError(f"{needle!r} (occurrence {nth}) is not in {path}")


def shown(diagnostics: Iterable[Diagnostic]) -> str:
    """Diagnostics as the text output prints them, for assertion messages."""
    out = [
        f"  {d.line}:{d.column}: {d.severity}: {d.code}: {d.field or '-'}: {d.message}"
        for d in diagnostics
    ]
    return "\n".join(out) or "  (no diagnostics)"


def only(result: CheckedSpec) -> Diagnostic:
    """The one diagnostic of ``result``; fails, listing them, when there are more or none."""
    assert len(result.diagnostics) == 1, "expected exactly one diagnostic, got:\n" + shown(
        result.diagnostics
    )
    return result.diagnostics[0]
