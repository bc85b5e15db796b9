"""The CSV reader that usage, ticket and outage imports share: lines, blanks, widths."""

from __future__ import annotations

from pathlib import Path

import pytest

from asp_provision.csvrows import CsvRows
from asp_provision.errors import UsageError, UserError
from asp_provision.sla.imports import ImportInvalid, read_tickets


def test_rows_keep_their_lines_across_blanks_and_quoted_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('\ufeffa, b ,c\n1,"two\nlines",3\n\n,,\n4,5\n6,7,8\n', "utf-8")
    rows = CsvRows(path)
    assert rows.header == ["a", "b", "c"]
    short: list[tuple[int, int]] = []
    got = [(r.line, r.cells) for r in rows.rows(lambda line, n: short.append((line, n)))]
    assert got == [(2, ["1", "two\nlines", "3"]), (7, ["6", "7", "8"])]
    assert short == [(6, 2)]


def test_an_unreadable_or_non_utf8_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        CsvRows(tmp_path / "missing.csv")
    path = tmp_path / "latin.csv"
    path.write_bytes(b"a,b\n\xe9,1\n")
    with pytest.raises(UserError, match=r"not UTF-8 text \(byte 4\)"):
        CsvRows(path)


def test_a_jira_description_over_lines_leaves_later_lines_right(tmp_path: Path) -> None:
    path = tmp_path / "jira.csv"
    path.write_text(
        "Summary,Description,Issue key,Priority,Created,Custom field (Organizations)\n"
        'Slow,"It is slow\nsince Monday",ITS-7,Medium,2026-10-06T10:00:00+01:00,globex-bank\n'
        "Down,,ITS-8,High,2026-10-06T10:00:00,globex-bank\n",
        "utf-8",
    )
    with pytest.raises(ImportInvalid) as caught:
        read_tickets(path, "jira", {"globex-bank": "globex-bank"})
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (4, 5)
    assert "no UTC offset" in problem.message
