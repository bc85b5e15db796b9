"""Start-up: the command line does not scan installed packages for pydantic plugins, and
builds only the command it is asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer.core
import typer.main

from asp_provision.cli import load
from asp_provision.cli.startup import LOADER, command_word, only_command, skip_pydantic_plugins
from tests.cli.helpers import ROOT, run_cli

app = load()

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
print(sorted(m for m in sys.modules if m.startswith("asp_provision.cli.")), file=sys.stderr)
"""


def _validate_listing(spec: str) -> tuple[str, str]:
    """validate of ``spec``: what it printed, and the modules it loaded."""
    proc = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES, "validate", spec],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.startswith("1 file: 1 valid"), proc.stdout + proc.stderr
    return proc.stderr.strip().splitlines()[0], proc.stderr.strip().splitlines()[1]


def test_validate_does_not_import_package_metadata() -> None:
    assert _validate_listing("specs/globex-bank.yaml")[0] == "exit=0 scanned=[]"


def test_validate_imports_only_its_own_commands() -> None:
    loaded = _validate_listing("specs/acme-corp.yaml")[1]
    assert "asp_provision.cli.specs" in loaded and "asp_provision.cli.sales" not in loaded
    assert "asp_provision.cli.runs" not in loaded


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


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["validate", "specs/a.yaml"], "validate"),
        (["-C", "ws", "plan", "x.yaml"], "plan"),
        (["--state", "validate", "status"], "status"),  # a state file named "validate"
        (["--workspace=ws", "--state", "s.db", "sla", "report"], "sla"),
        (["--", "apply"], "apply"),
        (["--help"], None),
        (["-C"], None),
        ([], None),
    ],
)
def test_the_command_word_skips_the_root_options_and_their_values(
    argv: list[str], word: str | None
) -> None:
    assert command_word(argv) == word


def _built(argv: list[str]) -> list[str]:
    with only_command(app, argv):
        group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return sorted(group.commands)


def test_only_the_named_command_is_built_and_the_application_is_left_whole() -> None:
    everything = _built(["--help"])
    assert {"validate", "plan", "apply", "usage", "sla", "invoice"} <= set(everything)
    assert _built(["-C", ".", "validate", "x.yaml"]) == ["validate"]
    assert _built(["sla", "report", "--all"]) == ["sla"]
    assert _built(["valdate"]) == everything  # a misspelling keeps every command
    assert _built(["--help"]) == everything  # and the application is whole again


def test_help_lists_every_command_and_a_misspelling_gets_its_suggestion() -> None:
    listed = run_cli("--help")
    assert listed.returncode == 0
    for name in ("validate", "plan", "apply", "destroy", "invoice", "usage", "sla"):
        assert f" {name} " in listed.stdout
    typo = run_cli("-C", ".", "valdate")
    assert typo.returncode == 2
    assert "Did you mean 'validate'?" in typo.stderr
    sub = run_cli("sla", "report", "--help")
    assert sub.returncode == 0
    assert "Usage: asp-provision sla report" in sub.stdout


def test_every_command_is_known_by_the_module_that_registers_it() -> None:
    import importlib

    from asp_provision import cli
    from asp_provision.cli.startup import _name

    found: dict[str, str] = {}
    for module in cli.MODULES:
        importlib.import_module(f"asp_provision.cli.{module}")
    registered = [*app.registered_commands, *app.registered_groups]
    for info in registered:
        callback = getattr(info, "callback", None)
        instance = getattr(info, "typer_instance", None)
        owner = callback.__module__ if callback else None
        if owner is None and instance is not None:
            owner = next(c.callback.__module__ for c in instance.registered_commands)
        found[str(_name(info))] = str(owner).rsplit(".", 1)[-1]
    assert found == cli.COMMANDS


def test_help_lists_every_command() -> None:
    from asp_provision import cli

    result = run_cli("--help", cwd=ROOT)
    assert result.returncode == 0
    for command in cli.COMMANDS:
        assert command in result.stdout, command
