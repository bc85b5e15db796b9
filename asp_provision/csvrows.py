"""The rows of a CSV file to import, each with its line and where each of its cells starts.

Usage samples, tickets and outages are read the same way: UTF-8 (a byte-order mark is
skipped), a header line, then one record a line (a quoted value may span lines); blank
lines are skipped, and a row with another number of values than the header is a problem
of its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from asp_provision.errors import UsageError, UserError


@dataclass(frozen=True, slots=True)
class Row:
    """One record of the file."""

    line: int
    cells: list[str]
    starts: list[int]  # the 1-based character column where each cell starts

    def column(self, index: int) -> int:
        """Where cell ``index`` starts (exact for cells without quotes)."""
        return self.starts[index]


class CsvRows:
    """A CSV file read whole: its header and its lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UserError(
                f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
            ) from None
        self._reader = csv.reader(io.StringIO(text, newline=""))
        self.header = [h.strip() for h in next(self._reader, [])]

    @property
    def empty(self) -> bool:
        """No header at all."""
        return not self.header

    def rows(self, wrong_width: Callable[[int, int], None]) -> Iterator[Row]:
        """Each row that is not blank.

        A row with another number of values than the header is skipped and told to
        ``wrong_width(line, values)``.
        """
        width = len(self.header)
        reader = self._reader
        last = reader.line_num
        for cells in reader:
            number, last = last + 1, reader.line_num  # a quoted value may span lines
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != width:
                wrong_width(number, len(cells))
                continue
            starts, at = [], 1
            for cell in cells:
                starts.append(at)
                at += len(cell) + 1
            yield Row(number, cells, starts)
