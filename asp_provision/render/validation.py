"""How a validation report is printed: text, json, github or junit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from asp_provision.errors import position
from asp_provision.render.style import Paint, printable, use_colour
from asp_provision.spec.batch import FileReport, ValidationReport
from asp_provision.spec.diagnostics import Diagnostic

FORMAT_VERSION = 1


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def location(path: str, d: Diagnostic) -> str:
    """``path:line:col`` as far as it is known."""
    return position(path, d.line, d.column)


def summary_line(report: ValidationReport) -> str:
    """One line: files, valid, invalid, errors, warnings."""
    n = len(report.files)
    return (
        f"{_plural(n, 'file')}: {n - report.invalid} valid, {report.invalid} invalid; "
        f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
    )


def text(report: ValidationReport, out: TextIO) -> None:
    """Diagnostics grouped per file, then a summary."""
    paint = Paint(use_colour(out))
    for file in report.files:
        if not file.diagnostics:
            continue
        for d in file.diagnostics:
            colour = "red" if d.severity == "error" else "yellow"
            field = f"{d.field}: " if d.field else ""
            out.write(
                f"{paint(printable(location(file.path, d)), 'bold')}: "
                f"{paint(d.severity, colour)}: {printable(field + d.message)}\n"
            )
        out.write("\n")
    colour = "red" if report.errors else ("yellow" if report.warnings else "green")
    out.write(paint(summary_line(report), colour) + "\n")


def as_dict(report: ValidationReport) -> dict[str, Any]:
    """The stable JSON form (format_version 1)."""
    return {
        "format_version": FORMAT_VERSION,
        "summary": {
            "files": len(report.files),
            "valid": len(report.files) - report.invalid,
            "invalid": report.invalid,
            "errors": report.errors,
            "warnings": report.warnings,
        },
        "files": [_file_dict(f) for f in report.files],
    }


def _file_dict(file: FileReport) -> dict[str, Any]:
    return {
        "path": file.path,
        "customer": file.customer,
        "valid": file.valid,
        "diagnostics": [
            {
                "severity": d.severity,
                "code": d.code,
                "field": d.field,
                "line": d.line,
                "column": d.column,
                "message": d.message,
            }
            for d in file.diagnostics
        ],
    }


def as_json(report: ValidationReport, out: TextIO) -> None:
    """Print the JSON form."""
    import json

    json.dump(as_dict(report), out, indent=2)
    out.write("\n")


def _gh_escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(report: ValidationReport, out: TextIO) -> None:
    """GitHub Actions workflow commands, one per diagnostic."""
    for file in report.files:
        for d in file.diagnostics:
            props = [f"file={_gh_escape(printable(file.path), True)}"]
            if d.line is not None:
                props.append(f"line={d.line}")
            if d.column is not None:
                props.append(f"col={d.column}")
            props.append(f"title={_gh_escape(d.code, True)}")
            field = f"{d.field}: " if d.field else ""
            message = _gh_escape(printable(field + d.message))
            out.write(f"::{d.severity} {','.join(props)}::{message}\n")
    out.write(summary_line(report) + "\n")


def junit(report: ValidationReport, out: TextIO) -> None:
    """JUnit XML: one testcase per file, a failure per invalid file.

    Every text from the files (paths, values quoted in messages) goes through
    :func:`printable`: XML 1.0 cannot hold control characters even as references, so
    the document stays well-formed whatever the input.
    """
    from xml.sax.saxutils import escape, quoteattr

    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(
        f'<testsuites name="asp-provision validate" tests="{len(report.files)}" '
        f'failures="{report.invalid}">\n'
        f'  <testsuite name="specs" tests="{len(report.files)}" failures="{report.invalid}" '
        'errors="0" skipped="0">\n'
    )
    for file in report.files:
        path = printable(file.path)
        out.write(f'    <testcase classname="asp-provision.validate" name={quoteattr(path)}>\n')
        lines = [
            printable(
                f"{location(file.path, d)}: {d.severity}: "
                + (f"{d.field}: " if d.field else "")
                + d.message
            )
            for d in file.diagnostics
        ]
        if not file.valid:
            message = quoteattr(f"{_plural(file.errors, 'error')} in {path}")
            out.write(f'      <failure message={message} type="invalid-spec">')
            out.write(escape("\n".join(lines)))
            out.write("</failure>\n")
        elif lines:
            out.write(f"      <system-out>{escape(chr(10).join(lines))}</system-out>\n")
        out.write("    </testcase>\n")
    out.write("  </testsuite>\n</testsuites>\n")


FORMATS: dict[str, Callable[[ValidationReport, TextIO], None]] = {
    "text": text,
    "json": as_json,
    "github": github,
    "junit": junit,
}
