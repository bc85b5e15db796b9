"""Start-up: the command line does not scan installed packages for pydantic plugins."""

from __future__ import annotations

import subprocess
import sys

import pytest

from asp_provision.cli.startup import LOADER, skip_pydantic_plugins
from tests.cli.helpers import ROOT

_RUN_AND_LIST_MODULES = """
import sys
sys.argv = ["asp-provision", *sys.argv[1:]]
from asp_provision.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
scanned = sorted(m for m in sys.modules if m.startswith("importlib.metadata"))
print(f"exit={code} scanned={scanned}", file=sys.stderr)
"""


def test_validate_does_not_import_package_metadata() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES, "validate", "specs/globex-bank.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.startswith("1 file: 1 valid"), proc.stdout + proc.stderr
    assert proc.stderr.strip() == "exit=0 scanned=[]"


def test_other_names_come_from_pydantics_own_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, LOADER, raising=False)
    skip_pydantic_plugins()
    stand_in = sys.modules[LOADER]

    from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP

    assert PYDANTIC_ENTRY_POINT_GROUP == "pydantic"
    assert sys.modules[LOADER] is not stand_in  # the real loader serves from now on


def test_an_already_loaded_loader_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    import pydantic.plugin._loader as real

    monkeypatch.setitem(sys.modules, LOADER, real)
    skip_pydantic_plugins()
    assert sys.modules[LOADER] is real
