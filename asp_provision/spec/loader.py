"""A YAML loader that keeps where every value came from, and refuses YAML's traps.

libyaml (through PyYAML's C parser) builds the node tree; the values are built here
from the nodes, so that each mapping key and list item keeps its line and column,
duplicate keys are caught, and plain scalars that YAML 1.1 silently turns into
booleans or numbers are remembered for a "quote it" message later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from asp_provision.spec.diagnostics import Diagnostic, Path_
from asp_provision.spec.formats import CONTROL, control_character

MAX_FILE_BYTES = 1024 * 1024
"""Specs larger than this (1 MiB) are refused before parsing."""

MAX_DEPTH = 64
"""Nesting deeper than this is refused; a real spec is about 6 levels deep."""

MAX_NODES = 100_000
"""A document expanding (through aliases) to more values than this is refused."""

_SCAN_DEPTH = 1000  # libyaml recurses in C: refuse pathological nesting before it parses

_TAG = "tag:yaml.org,2002:"
_STR, _BOOL, _INT, _FLOAT, _NULL, _TS = (
    _TAG + "str",
    _TAG + "bool",
    _TAG + "int",
    _TAG + "float",
    _TAG + "null",
    _TAG + "timestamp",
)
_SEQ, _MAP, _MERGE = _TAG + "seq", _TAG + "map", _TAG + "merge"
_SCALARS = SafeConstructor()
_DEEP_INDENT = re.compile(rf"^[ \t?:-]{{{_SCAN_DEPTH},}}", re.MULTILINE)
_FLOW_OPEN = re.compile(r"[\[{]")


@dataclass(frozen=True, slots=True)
class Scalar:
    """A plain scalar that YAML turned into something other than a string."""

    text: str
    kind: str  # "boolean", "number", "null", "date"


@dataclass(slots=True)
class Document:
    """A parsed file: its values, the position of every key and item, its problems."""

    path: str
    data: Any = None
    content_hash: str | None = None  # sha256 of the file's bytes
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    scalars: dict[Path_, Scalar] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def locate(self, path: Path_) -> tuple[int | None, int | None]:
        """Line and column of ``path``, or of its nearest parent that has one."""
        for end in range(len(path), -1, -1):
            pos = self.positions.get(path[:end])
            if pos is not None:
                return pos
        return (None, None)

    def error(self, code: str, path: Path_, message: str, severity: str = "error") -> None:
        """Record a diagnostic at ``path``."""
        line, column = self.locate(path)
        self.diagnostics.append(Diagnostic(severity, code, path, line, column, message))


def read_text(path: Path, doc: Document, digest: bool = False) -> str | None:
    """Read a spec file as UTF-8 text, recording why it cannot be read (and its hash)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        doc.error("unreadable", (), f"cannot read the file: {exc.strerror or exc}")
        return None
    if len(raw) > MAX_FILE_BYTES:
        doc.error("too-large", (), f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
        return None
    if digest:
        import hashlib  # only plans need it; validate starts faster without OpenSSL

        doc.content_hash = hashlib.sha256(raw).hexdigest()
    if b"\x00" in raw:
        doc.error("binary", (), "this is a binary file, not a YAML spec")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # exc.start counts from after the BOM, when there is one: use exc.object
        data, bad = bytes(exc.object), exc.start
        line = data.count(b"\n", 0, bad) + 1
        line_start = data.rfind(b"\n", 0, bad) + 1
        # the bytes before the bad one are valid: count characters, as YAML marks do
        column = len(data[line_start:bad].decode("utf-8")) + 1
        doc.diagnostics.append(
            Diagnostic(
                "error",
                "encoding",
                (),
                line,
                column,
                f"invalid UTF-8 (byte 0x{data[bad]:02x}); save the file as UTF-8",
            )
        )
        return None
    return text


def load_file(path: Path, digest: bool = False) -> Document:
    """Load one spec file; problems are recorded on the document, never raised."""
    doc = Document(str(path))
    text = read_text(path, doc, digest)
    if text is not None:
        load_text(text, doc)
    return doc


def load_text(text: str, doc: Document, one_line: bool = True) -> None:
    """Parse ``text`` into ``doc``.

    ``one_line``: every value is one line of printable text (a spec's values land in
    configuration lines); keys always are.
    """
    if _too_deep(text):
        doc.error("too-deep", (), f"nesting deeper than {MAX_DEPTH} levels")
        return
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if isinstance(exc, yaml.composer.ComposerError) and "single document" in str(exc.context):
            problem = "only one YAML document per file (remove the second '---')"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        doc.diagnostics.append(Diagnostic("error", "yaml-syntax", (), line, column, problem))
        return
    except yaml.reader.ReaderError as exc:
        # libyaml gives the offset in the UTF-8 bytes; report characters, like its marks
        before = text.encode("utf-8")[: exc.position].decode("utf-8", "replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        problem = f"{exc.reason}: U+{char:04X}"
        doc.diagnostics.append(Diagnostic("error", "yaml-syntax", (), line, column, problem))
        return
    except yaml.YAMLError as exc:
        doc.error("yaml-syntax", (), str(exc).splitlines()[0])
        return
    if root is None:
        doc.error("empty", (), "the file is empty")
        return
    # the document itself has a place: a missing top-level section points there
    doc.positions[()] = (root.start_mark.line + 1, root.start_mark.column + 1)
    builder = _Builder(doc, one_line)
    data = builder.build(root, (), 0)
    # a refused document (too deep, too many values) is not checked any further: what
    # was built of it is partial, and its "problems" would only be noise
    doc.data = None if builder.stopped else data


def _too_deep(text: str) -> bool:
    if _DEEP_INDENT.search(text):
        return True
    if len(_FLOW_OPEN.findall(text)) < _SCAN_DEPTH:
        return False
    depth = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            if depth >= _SCAN_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False


class _Builder:
    """Turns a node tree into Python values, recording positions as it goes."""

    def __init__(self, doc: Document, one_line: bool = True) -> None:
        self.doc = doc
        self.one_line = one_line
        self.nodes = 0
        self.stopped = False

    def fail(self, code: str, node: Node, path: Path_, message: str) -> None:
        mark = node.start_mark
        self.doc.diagnostics.append(
            Diagnostic("error", code, path, mark.line + 1, mark.column + 1, message)
        )

    def build(self, node: Node, path: Path_, depth: int) -> Any:
        self.nodes += 1
        if self.stopped:
            return None
        if self.nodes > MAX_NODES:
            self.stopped = True
            # the path would run through alias expansions that are nowhere in the file
            self.fail("too-large", node, (), f"document expands to over {MAX_NODES} values")
            return None
        if depth > MAX_DEPTH:
            self.stopped = True
            self.fail("too-deep", node, path, f"nesting deeper than {MAX_DEPTH} levels")
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                return self.bad_tag(node, path)
            return self.mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                return self.bad_tag(node, path)
            items = []
            positions = self.doc.positions
            for index, item in enumerate(node.value):
                sub = (*path, index)
                positions[sub] = (item.start_mark.line + 1, item.start_mark.column + 1)
                items.append(self.build(item, sub, depth + 1))
            return items
        return self.bad_tag(node, path)

    def control(self, node: Node, path: Path_, value: str) -> None:
        """A value with a control character: written through escapes or block scalars."""
        self.fail("control-character", node, path, control_character(value) or "")

    def bad_tag(self, node: Node, path: Path_) -> None:
        self.fail("yaml-tag", node, path, f"YAML tag {node.tag!r} is not allowed in a spec")
        return None

    def mapping(self, node: MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        positions = self.doc.positions
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.fail("yaml-key", key_node, path, "mapping keys must be plain names")
                continue
            if key_node.tag == _MERGE:
                self.fail("yaml-merge", key_node, path, "merge keys ('<<') are not supported")
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            sub = (*path, key)
            if CONTROL.search(key):
                self.control(key_node, sub, key)
            if key in seen:
                self.fail(
                    "duplicate-key",
                    key_node,
                    sub,
                    f"duplicate key '{key}' (first defined on line {seen[key]}); "
                    "YAML would silently keep only the last one",
                )
                continue
            seen[key] = line
            positions[sub] = (line, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, sub, depth + 1)
        return out

    def scalar(self, node: ScalarNode, path: Path_) -> Any:
        tag = node.tag
        if tag == _STR:
            if self.one_line and CONTROL.search(node.value):
                self.control(node, path, node.value)
            return node.value
        if node.style is not None and node.style not in "|>":
            # quoted scalars only carry an explicit tag here (!!str is handled above)
            return self.bad_tag(node, path)
        if tag == _NULL:
            if node.value:
                self.doc.scalars[path] = Scalar(node.value, "null")
            return None
        if tag == _BOOL:
            self.doc.scalars[path] = Scalar(node.value, "boolean")
            return _SCALARS.construct_yaml_bool(node)
        if tag in (_INT, _FLOAT):
            construct = (
                _SCALARS.construct_yaml_int if tag == _INT else _SCALARS.construct_yaml_float
            )
            try:
                value = construct(node)
            except ValueError:
                # YAML 1.1's patterns admit digit-less forms such as 0x_: plain text
                return node.value
            self.doc.scalars[path] = Scalar(node.value, "number")
            return value
        if tag == _TS:
            # dates stay text: pydantic parses them where a date is expected
            self.doc.scalars[path] = Scalar(node.value, "date")
            return node.value
        return self.bad_tag(node, path)
