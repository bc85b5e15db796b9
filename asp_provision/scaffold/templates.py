"""The Jinja2 templates of a workspace: sandboxed, strict, and every value written as data.

A workspace's ``templates/`` folder comes first; a template it lacks is taken from the
built-in set that ships with the package. Values reach a template as plain data and
leave it escaped for the format being written: YAML scalars for specs, backslash
escapes for Markdown, HTML entities for HTML. A customer called ``{{ 7*7 }}`` is
written as that text, never evaluated, and ``yes`` or ``4.10`` stay text in a spec.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import traceback
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import yaml
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    FunctionLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import SandboxedEnvironment

from asp_provision.errors import SourceError

SPEC_TEMPLATE = "spec.yaml.j2"
DOCUMENT_TEMPLATES = {"md": "service-definition.md.j2", "html": "service-definition.html.j2"}
WORKSPACE_README_TEMPLATE = "workspace-readme.md.j2"

DocumentFormat = Literal["md", "html"]

# Errors a template can cause on its own: a typo, an undefined name, a bad operation.
_TEMPLATE_FAULTS = (TemplateError, TypeError, ValueError, ArithmeticError, LookupError)


def builtin_templates() -> Traversable:
    """The templates that ship with the package."""
    return resources.files("asp_provision") / "data" / "templates"


class YamlText(str):
    """Text that is already YAML, written out as it is."""

    __slots__ = ()


# Plain (unquoted) only when nothing in it has a meaning to YAML; the resolver check
# below then catches what YAML 1.1 would read as a boolean, a number, null or a date.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@/+-]*")
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
# What JSON leaves as it is but YAML does not take inside double quotes: C1 controls
# (NEL is a line break to YAML 1.1), the Unicode line separators, BOMs, lone surrogates.
_NOT_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _plain_ok(text: str) -> bool:
    if not _PLAIN.fullmatch(text):
        return False
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == _STR_TAG)


def _escape_char(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def yaml_quote(text: str) -> str:
    """``text`` as a double-quoted YAML scalar (JSON's escapes, which YAML shares)."""
    return _NOT_PRINTABLE.sub(_escape_char, json.dumps(text, ensure_ascii=False))


@lru_cache(maxsize=8192)
def _yaml_str(text: str) -> str:
    return text if _plain_ok(text) else yaml_quote(text)


def to_yaml(value: Any) -> str:
    """``value`` as a YAML flow value: plain when safe, else quoted; lists and maps inline."""
    kind = type(value)
    if kind is str:
        return _yaml_str(value)
    if kind is int:
        return str(value)
    if isinstance(value, YamlText):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be written in a spec")
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _yaml_str(str(value))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{to_yaml(str(k))}: {to_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_yaml(v) for v in value) + "]"
    return yaml_quote(str(value))


def _finalize_yaml(value: Any) -> str:
    return to_yaml(value)


def _yaml_filter(value: Any) -> YamlText:
    return YamlText(to_yaml(value))


_NOT_IN_COMMENT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]+")


def _comment_filter(value: Any) -> YamlText:
    """``value`` as plain text that stays inside a YAML comment: one line, no controls."""
    return YamlText(_NOT_IN_COMMENT.sub(" ", str(value)))


_MARKDOWN_SPECIAL = re.compile(r"([\\`<>|\[\]])")
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")


def markdown_escape(text: str) -> str:
    """``text`` safe inside a Markdown line or table cell: no markup, links or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", text))


def _finalize_markdown(value: Any) -> str:
    if value is None:
        return ""
    return markdown_escape(str(value))


def _finalize_html(value: Any) -> Any:
    return "" if value is None else value


def money(value: float) -> str:
    """An amount with thousands separators and two decimals: 12,345.60."""
    return f"{value:,.2f}"


def number(value: int) -> str:
    """A whole number with thousands separators: 120,000."""
    return f"{value:,}"


def minutes(value: int) -> str:
    """A duration in minutes, in hours when whole: 5 minutes, 4 hours."""
    if value >= 60 and value % 60 == 0:
        return hours(value // 60)
    return f"{value} minute{'' if value == 1 else 's'}"


def hours(value: int) -> str:
    """A duration in hours: 1 hour, 24 hours."""
    return f"{value} hour{'' if value == 1 else 's'}"


def _environment(
    loader: BaseLoader, autoescape: bool, finalize: Callable[[Any], Any]
) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=autoescape,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(money=money, number=number, minutes=minutes, hours=hours)
    return env


class Templates:
    """The templates of one workspace, with the built-in ones behind them."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        builtin = builtin_templates()
        loaders: list[BaseLoader] = []
        if folder is not None and folder.is_dir():
            loaders.append(FileSystemLoader(folder))
        loaders.append(FunctionLoader(lambda name: _read_builtin(builtin, name)))
        loader = ChoiceLoader(loaders)
        self._yaml = _environment(loader, autoescape=False, finalize=_finalize_yaml)
        self._yaml.filters["yaml"] = _yaml_filter
        self._yaml.filters["comment"] = _comment_filter
        self._markdown = _environment(loader, autoescape=False, finalize=_finalize_markdown)
        self._html = _environment(loader, autoescape=True, finalize=_finalize_html)

    def spec(self, context: Mapping[str, Any]) -> str:
        """Render a new spec from ``spec.yaml.j2``."""
        return _render(self._yaml, SPEC_TEMPLATE, context)

    def load_spec(self) -> None:
        """Read and compile ``spec.yaml.j2`` now; SourceError when it has a syntax error."""
        _load(self._yaml, SPEC_TEMPLATE)

    def spec_source(self) -> str:
        """The file ``spec.yaml.j2`` is read from, for messages."""
        if self.folder is not None and (self.folder / SPEC_TEMPLATE).is_file():
            return str(self.folder / SPEC_TEMPLATE)
        return f"the built-in {SPEC_TEMPLATE}"

    def document(self, fmt: DocumentFormat, context: Mapping[str, Any]) -> str:
        """Render the customer's service definition as Markdown or HTML."""
        env = self._html if fmt == "html" else self._markdown
        return _render(env, DOCUMENT_TEMPLATES[fmt], context)

    def html(self, name: str, context: Mapping[str, Any]) -> str:
        """Render any HTML template (values escaped)."""
        return _render(self._html, name, context)

    def markdown(self, name: str, context: Mapping[str, Any]) -> str:
        """Render any Markdown template."""
        return _render(self._markdown, name, context)


def _read_builtin(folder: Traversable, name: str) -> tuple[str, str, Callable[[], bool]] | None:
    item = folder
    for part in name.split("/"):
        if part in ("", ".", ".."):
            return None
        item = item / part
    if not item.is_file():
        return None
    return item.read_text("utf-8"), str(item), lambda: True


def _load(env: SandboxedEnvironment, name: str) -> Template:
    try:
        return env.get_template(name)
    except TemplateNotFound:
        raise SourceError("the template is missing", name) from None
    except TemplateSyntaxError as exc:
        raise SourceError(exc.message or "syntax error", exc.filename or name, exc.lineno) from None


def _render(env: SandboxedEnvironment, name: str, context: Mapping[str, Any]) -> str:
    template = _load(env, name)
    try:
        return template.render(context)
    except TemplateSyntaxError as exc:  # in a template it includes
        raise SourceError(exc.message or "syntax error", exc.filename or name, exc.lineno) from None
    except _TEMPLATE_FAULTS as exc:
        where = template.filename or name
        raise SourceError(_fault_message(exc), where, _template_line(exc, where)) from None


def _fault_message(exc: BaseException) -> str:
    message = str(exc) or type(exc).__name__
    return f"the template failed: {message}"


def _template_line(exc: BaseException, filename: str) -> int | None:
    """The template line being rendered when ``exc`` was raised (Jinja maps the frames)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line
