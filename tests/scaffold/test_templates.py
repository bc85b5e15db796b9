"""Values written into a spec come back as the same values, whatever they hold."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from asp_provision.scaffold.templates import markdown_escape, money, number, to_yaml
from asp_provision.spec.loader import Document, load_text

TRICKY = [
    "",
    " ",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "true",
    "NULL",
    "~",
    "4.10",
    "1e3",
    "0o17",
    "0x_",
    "1_000",
    "12:30:00",
    ".inf",
    "-.NaN",
    "2026-12-01",
    "2026-12-01T10:00:00Z",
    "<<",
    "=",
    "- a",
    "? a",
    ": a",
    "a: b",
    "a #b",
    "#a",
    "!!python/object:os.system",
    "&a",
    "*a",
    "|",
    ">",
    "%YAML",
    "---",
    "...",
    "@a",
    "`a`",
    '"',
    "'",
    "\\",
    "\t",
    "\r\n",
    "\x00\x07\x1b",
    "\x7f\x80\x85\x9f",
    "\u2028\u2029",
    "\ufeff",
    "\ufffe",
    "\U0001f600",
    "mail.acme.example",
    "jdoe@acme.example",
    "203.0.113.0/24",
    "a+b@x.example",
]


def round_trip(value: object) -> object:
    doc = Document("<test>")
    # the YAML itself: that a spec's value must be one line is validate's to say
    load_text(f"value: {to_yaml(value)}\n", doc, one_line=False)
    assert doc.diagnostics == [], doc.diagnostics
    assert doc.scalars == {}, f"{value!r} was read as {doc.scalars}"
    return doc.data["value"]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_text_comes_back_as_text(text: str) -> None:
    assert round_trip(text) == text


def test_random_text_comes_back_as_text() -> None:
    rng = random.Random(20261201)
    alphabet = [chr(c) for c in range(0, 0x250)] + ["\u2028", "\ufeff", "\U0001f600", "{{", "}}"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert round_trip(text) == text


def test_safe_text_is_written_plain() -> None:
    for text in ("gold", "hosted-email", "mail.acme.example", "jdoe@acme.example", "24x7"):
        assert to_yaml(text) == text
    for text in ("4.10", "yes", "2026-12-01", "{{ 7*7 }}", "a b"):
        assert to_yaml(text).startswith('"')


def test_other_values() -> None:
    assert to_yaml(None) == "null"
    assert to_yaml(True) == "true"
    assert to_yaml(30) == "30"
    assert to_yaml(99.95) == "99.95"
    assert to_yaml(dt.date(2026, 12, 1)) == "2026-12-01"
    assert to_yaml(["a", "yes", 1]) == '[a, "yes", 1]'
    assert to_yaml({"min_length": 12, "on": True}) == '{min_length: 12, "on": true}'
    assert round_trip({"k": ["x, y", "]"]}) == {"k": ["x, y", "]"]}
    with pytest.raises(ValueError):
        to_yaml(float("nan"))


def test_markdown_escape() -> None:
    assert markdown_escape("a | b") == r"a \| b"
    assert markdown_escape("<b>[x](y)</b>") == r"\<b\>\[x\](y)\</b\>"
    assert markdown_escape("two\nlines") == "two lines"
    assert markdown_escape("{{ 7*7 }}") == "{{ 7*7 }}"


def test_numbers() -> None:
    assert money(2576) == "2,576.00"
    assert money(0.5) == "0.50"
    assert number(120000) == "120,000"
