"""Hostile text in file names and spec values never reaches a terminal or a report raw."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from asp_provision.render.style import printable
from tests.cli.helpers import run_cli
from tests.spec.helpers import example_text

RAW = ("\x1b", "\u202e", "\x07", "\x00", "\r", "\u2066")


def _hostile_folder(folder: Path) -> Path:
    """Specs whose names and values hold escapes, bidirectional overrides and bad bytes."""
    folder.mkdir()
    acme = example_text("acme-corp")
    # a key is echoed as the field of its diagnostic; the file name everywhere
    spec = acme.replace("  tier: gold\n", '  tier: gold\n  "col\\u202eour\\e[2J": red\n')
    (folder / "evil\x1b[31m\u202egpj.yaml").write_text(spec)
    (folder / "bell\x07\r.yaml").write_text(acme.replace("ACME Corporation", "ACME\\aCorp"))
    # a name that is not UTF-8 at all
    with open(os.path.join(os.fsencode(folder), b"latin\xe9.yaml"), "wb") as fh:
        fh.write(b"apiVersion: 1\n")
    (folder / "acme-corp.yaml").write_text(acme.replace("mail.acme.example", '"mail\\x00.x"'))
    return folder


def _assert_no_raw(text: str) -> None:
    for char in RAW:
        assert char not in text, f"raw {char!r} in output"
    text.encode("utf-8")  # no lone surrogate either


def test_junit_is_well_formed_xml_whatever_the_files_hold(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path / "specs")
    result = run_cli("validate", "--format", "junit", str(folder))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    _assert_no_raw(result.stdout)
    root = ET.fromstring(result.stdout.encode("utf-8"))
    cases = root.findall(".//testcase")
    assert len(cases) == 4
    names = " ".join(c.get("name", "") for c in cases)
    assert "\\x1b[31m\\u202egpj.yaml" in names
    assert "latin\\udce9.yaml" in names
    failures = " ".join(f.text or "" for f in root.iter("failure"))
    assert "col\\u202eour\\x1b[2J" in failures


def test_text_output_shows_control_and_bidirectional_characters_escaped(
    tmp_path: Path,
) -> None:
    folder = _hostile_folder(tmp_path / "specs")
    result = run_cli("validate", str(folder))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    _assert_no_raw(result.stdout)
    assert "spec.col\\u202eour\\x1b[2J: contains a bidirectional control" in result.stdout
    assert "evil\\x1b[31m\\u202egpj.yaml" in result.stdout
    # one line per diagnostic: a value cannot start a line of its own
    for line in result.stdout.splitlines():
        assert not line or line.startswith(str(folder)) or "valid" in line, line


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_machine_formats_stay_parseable(tmp_path: Path, fmt: str) -> None:
    folder = _hostile_folder(tmp_path / "specs")
    result = run_cli("validate", "--format", fmt, str(folder))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    _assert_no_raw(result.stdout)
    if fmt == "json":
        assert len(json.loads(result.stdout)["files"]) == 4
    else:
        assert all(
            line.startswith(("::error ", "::warning ")) for line in result.stdout.splitlines()[:-1]
        )


def test_printable_escapes_what_would_drive_or_reorder_a_terminal() -> None:
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("left\u202eright\u2066") == "left\\u202eright\\u2066"
    assert printable("one\ntwo\r") == "one\\ntwo\\r"
    assert printable("one\ntwo\x07", lines=True) == "one\ntwo\\x07"
    assert printable("caf\u00e9 \u05e9\u05dc\u05d5\u05dd") == "caf\u00e9 \u05e9\u05dc\u05d5\u05dd"
