"""The YAML loader: where values came from, what YAML 1.1 turned them into, its limits."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from asp_provision.spec.diagnostics import Diagnostic
from asp_provision.spec.loader import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    Document,
    Scalar,
    load_file,
    load_text,
)
from tests.spec.helpers import SPECS, example_text, shown


def load(text: str) -> Document:
    doc = Document("<test>")
    load_text(text, doc)
    return doc


def one_problem(doc: Document) -> Diagnostic:
    assert len(doc.diagnostics) == 1, shown(doc.diagnostics)
    return doc.diagnostics[0]


# Positions --------------------------------------------------------------------------


def test_positions_are_one_based_and_point_at_keys() -> None:
    doc = load("apiVersion: v1\nspec:\n  network:\n    qos: business\n")
    assert doc.positions[("apiVersion",)] == (1, 1)
    assert doc.positions[("spec",)] == (2, 1)
    assert doc.positions[("spec", "network")] == (3, 3)
    assert doc.positions[("spec", "network", "qos")] == (4, 5)


def test_positions_of_keys_in_a_flow_mapping() -> None:
    doc = load("application: {name: hosted-email, version: '4.2'}\n")
    assert doc.positions[("application", "name")] == (1, 15)
    assert doc.positions[("application", "version")] == (1, 35)


def test_list_items_have_the_position_of_the_item() -> None:
    doc = load("users:\n  - {username: jdoe, role: admin}\n  - username: bsmith\n    role: staff\n")
    assert doc.positions[("users", 0)] == (2, 5)
    assert doc.positions[("users", 0, "role")] == (2, 22)
    assert doc.positions[("users", 1)] == (3, 5)
    assert doc.positions[("users", 1, "role")] == (4, 5)


def test_flow_list_items_have_their_own_column() -> None:
    doc = load("allow_from: [203.0.113.0/24, 198.51.100.7/32]\n")
    assert doc.positions[("allow_from", 0)] == (1, 14)
    assert doc.positions[("allow_from", 1)] == (1, 30)


def test_positions_in_the_example_spec_match_its_text() -> None:
    path = SPECS / "acme-corp.yaml"
    doc = load_file(path)
    assert doc.diagnostics == []
    lines = path.read_text().splitlines()
    for parts, (line, column) in doc.positions.items():
        if parts and isinstance(key := parts[-1], str):
            assert lines[line - 1][column - 1 :].startswith(key), parts


def test_locate_falls_back_to_the_nearest_parent() -> None:
    doc = load("spec:\n  network:\n    connection:\n      type: mpls\n")
    connection = doc.positions[("spec", "network", "connection")]
    assert doc.locate(("spec", "network", "connection", "provider")) == connection
    assert doc.locate(("spec", "network", "connection", "provider", "name", 0)) == connection
    assert doc.locate(("spec", "billing")) == (1, 1)
    # a missing top-level section points at the document, which starts after the comments
    doc = load("# a comment\n\nspec:\n  tier: gold\n")
    assert doc.locate(("metadata", "customer")) == (3, 1)
    assert doc.locate(()) == (3, 1)


def test_a_file_without_a_document_has_no_position() -> None:
    doc = load("# only a comment\n")
    d = one_problem(doc)
    assert (d.code, d.line, d.column) == ("empty", None, None)


def test_an_error_is_reported_where_locate_points() -> None:
    doc = load("spec:\n  network:\n    connection:\n      type: mpls\n")
    doc.error("provider-required", ("spec", "network", "connection", "provider"), "needs one")
    d = one_problem(doc)
    assert (d.severity, d.line, d.column) == ("error", 3, 5)
    assert d.field == "spec.network.connection.provider"


# What YAML 1.1 turned into something else -------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("yes", True, "boolean"),
        ("NO", False, "boolean"),
        ("on", True, "boolean"),
        ("Off", False, "boolean"),
        ("4.10", 4.1, "number"),
        ("0x1F", 31, "number"),
        ("1_000", 1000, "number"),
        ("~", None, "null"),
        ("null", None, "null"),
    ],
)
def test_scalars_yaml_read_as_something_else_are_recorded(
    text: str, value: object, kind: str
) -> None:
    doc = load(f"field: {text}\n")
    assert doc.data == {"field": value}
    assert doc.scalars[("field",)] == Scalar(text, kind)


def test_dates_stay_text_and_are_recorded() -> None:
    doc = load("start_date: 2026-12-01\n")
    assert doc.data == {"start_date": "2026-12-01"}
    assert doc.scalars[("start_date",)] == Scalar("2026-12-01", "date")


def test_quoted_and_plain_text_is_not_recorded() -> None:
    doc = load("a: 'yes'\nb: \"4.10\"\nc: hosted-email\nd: !!str on\ne:\n")
    assert doc.data == {"a": "yes", "b": "4.10", "c": "hosted-email", "d": "on", "e": None}
    assert doc.scalars == {}


def test_a_number_pattern_without_digits_is_text() -> None:
    # YAML 1.1 lets 0x_ through its integer pattern; it has no value as a number
    doc = load("po_number: 0x_\nother: 0b_\n")
    assert doc.diagnostics == []
    assert doc.data == {"po_number": "0x_", "other": "0b_"}
    assert doc.scalars == {}


# What the loader refuses ------------------------------------------------------------


def test_a_duplicate_key_is_an_error_at_the_second_one() -> None:
    doc = load("network:\n  qos: business\n  bandwidth_mbps: 100\n  qos: premium\n")
    d = one_problem(doc)
    assert (d.code, d.field, d.line, d.column) == ("duplicate-key", "network.qos", 4, 3)
    assert d.message == (
        "duplicate key 'qos' (first defined on line 2); YAML would silently keep only the last one"
    )


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            "name: !!python/object/apply:os.system ['id']\n",
            "yaml-tag",
            "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in a spec",
        ),
        ("name: !Ref other\n", "yaml-tag", "YAML tag '!Ref' is not allowed in a spec"),
        ("name: !!int '5'\n", "yaml-tag", "YAML tag 'tag:yaml.org,2002:int' is not allowed"),
        ("name: !!binary aGVsbG8=\n", "yaml-tag", "is not allowed in a spec"),
        ("name: !!set {a, b}\n", "yaml-tag", "is not allowed in a spec"),
    ],
)
def test_tags_are_refused_where_they_are(text: str, code: str, message: str) -> None:
    d = one_problem(load(text))
    assert (d.code, d.field, d.line, d.column) == (code, "name", 1, 7)
    assert message in d.message


def test_merge_keys_and_complex_keys_are_refused() -> None:
    doc = load("base: &b {a: 1}\nmerged:\n  <<: *b\n? [x, y]\n: z\n")
    got = [(d.code, d.line, d.column) for d in doc.diagnostics]
    assert got == [("yaml-merge", 3, 3), ("yaml-key", 4, 3)]


def test_two_documents_are_refused_at_the_second() -> None:
    d = one_problem(load("a: 1\n---\nb: 2\n"))
    assert (d.code, d.line, d.column) == ("yaml-syntax", 2, 1)
    assert d.message == "only one YAML document per file (remove the second '---')"


def test_a_syntax_error_says_where() -> None:
    d = one_problem(load("a:\n  b: 1\n\tc: 2\n"))
    assert (d.code, d.line, d.column) == ("yaml-syntax", 3, 1)
    assert d.message == "found a tab character that violates indentation"


def test_a_control_character_says_which_and_where() -> None:
    d = one_problem(load("a: 1\nname: Ångström \x1b[31m\n"))
    assert (d.code, d.line, d.column) == ("yaml-syntax", 2, 16)
    assert d.message == "control characters are not allowed: U+001B"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_nothing_to_read_is_empty(text: str) -> None:
    doc = load(text)
    assert doc.data is None
    if text == "---\n":
        # an explicit empty document: the checker reports it as holding no spec
        assert doc.diagnostics == []
    else:
        d = one_problem(doc)
        assert (d.code, d.message) == ("empty", "the file is empty")


# Limits -----------------------------------------------------------------------------


def _nested_lists(depth: int) -> str:
    return "a: " + "[" * depth + "]" * depth + "\n"


def test_nesting_up_to_the_limit_is_read() -> None:
    # the root mapping is level 0, its value level 1: depth N puts the innermost list at N
    doc = load(_nested_lists(MAX_DEPTH))
    assert doc.diagnostics == []


def test_nesting_past_the_limit_refuses_the_document() -> None:
    doc = load(_nested_lists(MAX_DEPTH + 1))
    d = one_problem(doc)
    assert (d.code, d.message) == ("too-deep", f"nesting deeper than {MAX_DEPTH} levels")
    assert (d.line, d.column) == (1, 4 + MAX_DEPTH)
    assert doc.data is None


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "a: " + "{b: " * 20_000 + "}" * 20_000 + "\n",
        "a:\n" + "- " * 20_000 + "x\n",
        "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 1200)),
    ],
    ids=["flow-lists", "flow-mappings", "block-lists", "block-mappings"],
)
def test_pathological_nesting_is_refused_before_parsing(text: str) -> None:
    doc = load(text)
    d = one_problem(doc)
    assert (d.code, d.message) == ("too-deep", f"nesting deeper than {MAX_DEPTH} levels")
    assert doc.data is None


def test_values_up_to_the_node_limit_are_read() -> None:
    # the root mapping and the list are two values; the items make up the rest
    doc = load("a: [" + "1," * (MAX_NODES - 2) + "]\n")
    assert doc.diagnostics == []


def test_values_past_the_node_limit_refuse_the_document() -> None:
    doc = load("a: [" + "1," * (MAX_NODES - 1) + "]\n")
    d = one_problem(doc)
    assert (d.code, d.field) == ("too-large", None)
    assert d.message == f"document expands to over {MAX_NODES} values"
    assert doc.data is None


def test_an_alias_bomb_is_refused_quickly_and_once() -> None:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    doc = load("\n".join(lines) + "\n")
    d = one_problem(doc)
    assert (d.code, d.field) == ("too-large", None)
    assert d.line is not None and 1 <= d.line <= len(lines)
    assert doc.data is None


def _file_of(tmp_path: Path, size: int) -> Path:
    body = example_text().encode()
    path = tmp_path / "acme-corp.yaml"
    path.write_bytes(body + b"#" * (size - len(body) - 1) + b"\n")
    assert path.stat().st_size == size
    return path


def test_a_file_at_the_size_limit_is_read(tmp_path: Path) -> None:
    doc = load_file(_file_of(tmp_path, MAX_FILE_BYTES))
    assert doc.diagnostics == []
    assert doc.data["metadata"]["customer"] == "acme-corp"


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    doc = load_file(_file_of(tmp_path, MAX_FILE_BYTES + 1))
    d = one_problem(doc)
    assert (d.code, d.field, d.line, d.column) == ("too-large", None, None, None)
    assert d.message == "file is larger than 1024 KiB"
    assert doc.data is None


def test_a_folder_or_a_missing_file_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "nowhere.yaml"):
        d = one_problem(load_file(path))
        assert d.code == "unreadable"
        assert d.message.startswith("cannot read the file: ")


# Encodings and line endings ---------------------------------------------------------


def test_bom_and_crlf_read_the_same_as_plain_utf8(tmp_path: Path) -> None:
    text = example_text()
    plain = tmp_path / "plain.yaml"
    plain.write_bytes(text.encode())
    reference = load_file(plain)
    for name, raw in (
        ("bom", codecs.BOM_UTF8 + text.encode()),
        ("crlf", text.replace("\n", "\r\n").encode()),
        ("both", codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode()),
    ):
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(raw)
        doc = load_file(path)
        assert doc.diagnostics == [], name
        assert doc.data == reference.data, name
        assert doc.positions == reference.positions, name
        assert doc.scalars == reference.scalars, name


def test_crlf_leaves_no_carriage_return_in_values(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"name: ACME Corporation\r\nnote: |\r\n  two\r\n  lines\r\n")
    doc = load_file(path)
    assert doc.data == {"name": "ACME Corporation", "note": "two\nlines\n"}


@pytest.mark.parametrize(
    ("raw", "line", "column", "byte"),
    [
        (b"a: 1\nname: Corpor\xe9tion\n", 2, 13, "e9"),
        (codecs.BOM_UTF8 + b"a: 1\nname: Corpor\xe9tion\n", 2, 13, "e9"),
        ("a: 1\nname: Ångström ".encode() + b"\xff\n", 2, 16, "ff"),
        (codecs.BOM_UTF8 + b"\xfe", 1, 1, "fe"),
    ],
    ids=["plain", "after-bom", "after-wide-characters", "first-byte-after-bom"],
)
def test_invalid_utf8_says_which_byte_and_where(
    tmp_path: Path, raw: bytes, line: int, column: int, byte: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(raw)
    d = one_problem(load_file(path))
    assert (d.code, d.line, d.column) == ("encoding", line, column)
    assert d.message == f"invalid UTF-8 (byte 0x{byte}); save the file as UTF-8"


def test_nul_bytes_make_it_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    d = one_problem(load_file(path))
    assert (d.code, d.line) == ("binary", None)
    assert d.message == "this is a binary file, not a YAML spec"
