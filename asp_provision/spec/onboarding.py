"""Rules of the onboarding section: the data conversion's two forms, its source file, training.

The source file is checked against the workspace it belongs to: it must be inside it
(also after following symbolic links), exist, be readable, and offer every declared
column (the CSV header; for JSON Lines, the keys of the first record).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from asp_provision.spec.diagnostics import Path_
from asp_provision.spec.models import LOADER_FIELDS, DataConversion, Onboarding

Report = Callable[[Path_, str, str, str], None]
"""report(path, code, message, severity)"""

CONVERSION: Path_ = ("spec", "onboarding", "data_conversion")
_MISSING = "required field '{}' is missing"
FIRST_LINE_LIMIT = 1 << 20
"""Bytes of the source's first line read to find its columns."""


def check_onboarding(onboarding: Onboarding | None, report: Report) -> None:
    """The rules that need more than one field of the onboarding section."""
    if onboarding is None:
        return
    if onboarding.data_conversion is not None:
        _check_conversion_form(onboarding.data_conversion, report)
    training = onboarding.training
    if training is not None:
        path = ("spec", "onboarding", "training")
        if isinstance(training.sessions, int) and training.attendees is None:
            report((*path, "attendees"), "missing-field", _MISSING.format("attendees"), "error")
        if not isinstance(training.sessions, int) and training.attendees is not None:
            report(
                (*path, "attendees"),
                "training-form",
                "attendees is the count that goes with a number of sessions; with the "
                "sessions listed, each session names its attendees: leave it out",
                "error",
            )


def _check_conversion_form(conversion: DataConversion, report: Report) -> None:
    given = [name for name in LOADER_FIELDS if getattr(conversion, name) is not None]
    if not given:
        for name in ("source", "records"):
            if getattr(conversion, name) is None:
                report((*CONVERSION, name), "missing-field", _MISSING.format(name), "error")
        return
    for name in LOADER_FIELDS:
        if getattr(conversion, name) is None:
            report(
                (*CONVERSION, name),
                "conversion-incomplete",
                f"'{name}' is needed to load a file: give format, file, key and fields "
                f"together (found {', '.join(given)})",
                "error",
            )
    if conversion.source is not None:
        report(
            (*CONVERSION, "source"),
            "conversion-form",
            "source belongs with records alone, for the estimate; a file to load says "
            "its format instead: leave source out",
            "error",
        )
    if conversion.file is not None:
        outside = outside_reason(conversion.file)
        if outside:
            report((*CONVERSION, "file"), "conversion-file-outside", outside, "error")
    if conversion.key is not None and conversion.fields and conversion.key not in conversion.fields:
        report(
            (*CONVERSION, "key"),
            "conversion-key",
            f"the key '{conversion.key}' is not one of the fields "
            f"({', '.join(conversion.fields)}); declare it there with its type",
            "error",
        )


def outside_reason(file: str) -> str | None:
    """Why ``file``, as written, is not a path inside the workspace (None when it is)."""
    parts = file.replace("\\", "/").split("/")
    if file.startswith(("/", "\\", "~")) or (len(file) > 1 and file[1] == ":"):
        return f"'{file}' must be relative to the workspace, such as data/records.csv"
    if ".." in parts:
        return f"'{file}' leaves the workspace ('..'); keep the file inside it"
    return None


def source_path(workspace: Path, conversion: DataConversion) -> Path | None:
    """The source file's absolute path in ``workspace`` (None when the spec names none)."""
    if conversion.file is None:
        return None
    return workspace / conversion.file


def check_source(onboarding: Onboarding | None, workspace: Path, report: Report) -> None:
    """The source file is inside ``workspace``, readable, and has every declared column."""
    conversion = onboarding.data_conversion if onboarding else None
    if conversion is None or conversion.file is None or conversion.format is None:
        return
    at = (*CONVERSION, "file")
    shown = conversion.file
    if outside_reason(shown):
        return  # said by the rules
    root = workspace.resolve()
    path = (root / conversion.file).resolve()
    if not path.is_relative_to(root):
        message = f"{shown} leads outside the workspace ({path}); copy the file into it"
        report(at, "conversion-file-outside", message, "error")
        return
    if not path.exists():
        report(at, "conversion-file-missing", f"no such file: {shown} (in {root})", "error")
        return
    if not path.is_file():
        report(at, "conversion-file-missing", f"{shown} is not a file", "error")
        return
    try:
        columns = first_columns(path, conversion.format)
    except PermissionError:
        report(at, "conversion-file-unreadable", f"{shown} cannot be read: no permission", "error")
        return
    except (OSError, ValueError) as exc:
        report(at, "conversion-file-unreadable", f"{shown} cannot be read: {exc}", "error")
        return
    where = "header" if conversion.format == "csv" else "first record"
    for column in conversion.fields or {}:
        if column not in columns:
            offered = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
            report(
                (*CONVERSION, "fields", column),
                "conversion-column-missing",
                f"column '{column}' is not in the {where} of {shown} (it has: {offered})",
                "error",
            )


def first_columns(path: Path, fmt: str) -> list[str]:
    """The columns a source offers: the CSV header, or the keys of the first JSON record.

    Raises ValueError (with the reason) when there are none to be read.
    """
    with path.open("rb") as raw:
        while True:
            line = raw.readline(FIRST_LINE_LIMIT)
            if not line:
                raise ValueError("the file is empty")
            if not line.endswith(b"\n") and len(line) >= FIRST_LINE_LIMIT:
                raise ValueError(f"its first line is longer than {FIRST_LINE_LIMIT} bytes")
            if line.strip():
                break
            if fmt == "csv":
                raise ValueError("its first line, the header, is blank")
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("its first line is not UTF-8 text") from None
    if fmt == "csv":
        return next(csv.reader([text]))
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"its first record is not JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise ValueError("its first record is not a JSON object")
    return [str(key) for key in record]


def source_digest(workspace: Path, conversion: DataConversion) -> str | None:
    """SHA-256 of the source file's bytes; None when the spec names no file or it is unreadable."""
    path = source_path(workspace, conversion)
    if path is None:
        return None
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
