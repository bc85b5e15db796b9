"""The corpus of broken specs: each file says, in its first lines, what validate reports.

A case's header lines read::

    # expect: SEVERITY CODE FIELD LINE:COLUMN | text the message contains
    # expect: valid

FIELD is ``-`` when the diagnostic is about the file as a whole, LINE:COLUMN is ``-``
when it has no position, and the ``| ...`` part is optional. Every expected diagnostic
must be reported exactly so, and nothing else may be: no other error, no other warning
(apart from the file-name warning: a corpus file is named after its case, not after the
customer it holds). Each case is checked on its own: ``asp-provision validate`` on the
whole folder adds duplicate-customer errors, since most cases hold acme-corp.

A case is a copy of one of the specs in specs/ with one kind of problem; the header
takes the place of the editor's schema comment, so with a one-line header the line
numbers are those of the original spec.

Files that cannot be kept as text in the repository (invalid UTF-8, NUL bytes, over the
size limit, control characters) are written at test time; their expectations are below.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from asp_provision.spec.check import CheckedSpec
from asp_provision.spec.diagnostics import Diagnostic
from asp_provision.spec.loader import MAX_FILE_BYTES
from tests.spec.helpers import CORPUS, check, example_text, shown

_EXPECT = re.compile(
    r"^# expect: (?P<severity>error|warning) (?P<code>[a-z0-9-]+) (?P<field>\S+) "
    r"(?P<position>-|\d+:\d+)(?: \| (?P<message>.+))?$"
)


@dataclass(frozen=True)
class Expected:
    """One diagnostic a case expects."""

    severity: str
    code: str
    field: str | None
    line: int | None
    column: int | None
    message: str = ""

    @classmethod
    def parse(cls, spec: str, message: str = "") -> Expected:
        """``SEVERITY CODE FIELD LINE:COLUMN``, the header's form without '# expect:'."""
        match = _EXPECT.match(f"# expect: {spec}")
        assert match, f"bad expectation: {spec!r}"
        return cls.from_match(match, message)

    @classmethod
    def from_match(cls, match: re.Match[str], message: str = "") -> Expected:
        """From a matched header line."""
        position = match["position"]
        line, column = (None, None) if position == "-" else map(int, position.split(":"))
        field = None if match["field"] == "-" else match["field"]
        return cls(
            match["severity"], match["code"], field, line, column, match["message"] or message
        )

    def describes(self, d: Diagnostic) -> bool:
        """True when ``d`` is this diagnostic."""
        return (d.severity, d.code, d.field, d.line, d.column) == (
            self.severity,
            self.code,
            self.field,
            self.line,
            self.column,
        ) and self.message in d.message


def expectations(path: Path) -> list[Expected]:
    """The ``# expect:`` header of a corpus file (empty for ``# expect: valid``)."""
    header = []
    for line in path.read_bytes().decode("utf-8-sig").splitlines():
        if not line.startswith("# expect:"):
            break
        header.append(line)
    assert header, f"{path.name} has no '# expect:' header"
    if header == ["# expect: valid"]:
        return []
    found = []
    for line in header:
        match = _EXPECT.match(line)
        assert match, f"{path.name}: cannot read {line!r}"
        found.append(Expected.from_match(match))
    return found


def assert_reports(result: CheckedSpec, expected: list[Expected]) -> None:
    """Every expected diagnostic is there, and nothing else is (bar the file-name warning)."""
    missing = [e for e in expected if not any(e.describes(d) for d in result.diagnostics)]
    assert not missing, (
        "expected, not reported:\n"
        + "\n".join(f"  {e}" for e in missing)
        + "\nreported:\n"
        + shown(result.diagnostics)
    )
    others = [
        d
        for d in result.diagnostics
        if d.code != "file-name" and not any(e.describes(d) for e in expected)
    ]
    assert not others, "reported but not expected:\n" + shown(others)
    assert result.valid == all(e.severity == "warning" for e in expected)


CASES = sorted(CORPUS.glob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_corpus_case(path: Path) -> None:
    assert_reports(check(path), expectations(path))


def test_the_corpus_covers_the_cases_it_is_meant_to() -> None:
    names = {p.stem for p in CASES}
    assert len(names) >= 50
    for wanted in (
        "unknown-key-did-you-mean",
        "duplicate-key",
        "yaml11-yes-as-customer",
        "yaml11-version-as-number",
        "two-documents",
        "alias-bomb",
        "deep-flow-thousands",
        "deep-block-thousands",
        "python-object-tag",
        "valid-utf8-bom",
        "valid-crlf-line-endings",
        "literal-client-secret",
        "open-allowlist-gold",
        "open-allowlist-platinum",
    ):
        assert wanted in names


@pytest.mark.parametrize(
    ("name", "bom", "crlf"),
    [
        ("valid-utf8-bom", True, False),
        ("valid-crlf-line-endings", False, True),
        ("valid-bom-and-crlf", True, True),
    ],
)
def test_bom_and_crlf_cases_keep_their_bytes(name: str, bom: bool, crlf: bool) -> None:
    # a checkout or an editor that normalises these would make the cases pass vacuously
    raw = (CORPUS / f"{name}.yaml").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) is bom
    assert (b"\r\n" in raw) is crlf
    if crlf:
        assert raw.count(b"\n") == raw.count(b"\r\n")


def test_the_literal_secret_is_not_repeated_in_any_message() -> None:
    for name, secret in (
        ("literal-client-secret", "hunter2-prod"),
        ("literal-client-secret-number", "90210417"),
    ):
        result = check(CORPUS / f"{name}.yaml")
        assert result.diagnostics
        for d in result.diagnostics:
            assert secret not in d.message


# Files generated at test time -------------------------------------------------------

ACME = example_text("acme-corp")


def _invalid_utf8() -> bytes:
    return ACME.encode().replace(b"ACME Corporation", b"ACME Corpor\xe9tion")


def _invalid_utf8_after_wide_characters() -> bytes:
    # the column counts characters, as everywhere else, not bytes: 'Å' is two bytes
    return ACME.encode().replace(b"ACME Corporation", "ÅÄÖ Corp ".encode() + b"\xff")


def _invalid_utf8_after_bom() -> bytes:
    return codecs.BOM_UTF8 + b"\xff" + ACME.encode()


def _invalid_utf8_in_a_file_with_bom() -> bytes:
    return codecs.BOM_UTF8 + _invalid_utf8()


def _nul_bytes() -> bytes:
    return ACME.encode().replace(b"ACME Corporation", b"ACME\x00\x00Corporation")


def _over_the_size_limit() -> bytes:
    # a valid spec, padded with comments to one byte past the limit
    body = ACME.encode()
    pad = MAX_FILE_BYTES + 1 - len(body)
    lines, rest = divmod(pad, 100)
    return body + (b"#" + b"x" * 98 + b"\n") * lines + b"#" * rest


def _zero_bytes() -> bytes:
    return b""


def _control_character() -> bytes:
    return ACME.encode().replace(b"ACME Corporation", b"ACME\x1b[2J Corporation")


def _control_character_after_wide_characters() -> bytes:
    return ACME.encode().replace(b"ACME Corporation", "Ångström \x07 AB".encode())


GENERATED: dict[str, tuple[Callable[[], bytes], list[str]]] = {
    "invalid-utf8": (
        _invalid_utf8,
        ["error encoding - 6:20 | invalid UTF-8 (byte 0xe9); save the file as UTF-8"],
    ),
    "invalid-utf8-after-wide-characters": (
        _invalid_utf8_after_wide_characters,
        ["error encoding - 6:18 | invalid UTF-8 (byte 0xff)"],
    ),
    "invalid-utf8-after-bom": (
        _invalid_utf8_after_bom,
        ["error encoding - 1:1 | invalid UTF-8 (byte 0xff)"],
    ),
    "invalid-utf8-in-a-file-with-bom": (
        _invalid_utf8_in_a_file_with_bom,
        ["error encoding - 6:20 | invalid UTF-8 (byte 0xe9)"],
    ),
    "nul-bytes": (
        _nul_bytes,
        ["error binary - - | this is a binary file, not a YAML spec"],
    ),
    "over-the-size-limit": (
        _over_the_size_limit,
        ["error too-large - - | file is larger than 1024 KiB"],
    ),
    "zero-bytes": (_zero_bytes, ["error empty - - | the file is empty"]),
    "control-character": (
        _control_character,
        ["error yaml-syntax - 6:13 | control characters are not allowed: U+001B"],
    ),
    "control-character-after-wide-characters": (
        _control_character_after_wide_characters,
        ["error yaml-syntax - 6:18 | control characters are not allowed: U+0007"],
    ),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_case(name: str, tmp_path: Path) -> None:
    make, expected = GENERATED[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(make())
    assert_reports(check(path), [Expected.parse(*e.split(" | ", 1)) for e in expected])


def test_a_file_of_exactly_the_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "acme-corp.yaml"
    path.write_bytes(_over_the_size_limit()[:-1])
    assert path.stat().st_size == MAX_FILE_BYTES
    result = check(path)
    assert result.diagnostics == [], shown(result.diagnostics)
