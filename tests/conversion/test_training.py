"""Training invitations and the attendance sheet, read back with icalendar and csv."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import icalendar
import pytest

from tests.conversion.helpers import LIBRARY  # noqa: F401 - puts module_utils on the path

from asp_training import TrainingError, write_training  # isort: skip

SESSIONS: list[dict[str, Any]] = [
    {
        "date": "2026-12-08",
        "topic": "Mailbox basics; folders, rules",
        "attendees": ["jdoe@acme.example", "bsmith@acme.example"],
    },
    {"date": "2026-12-10", "topic": "Administration", "attendees": ["jdoe@acme.example"]},
]
ORGANIZER = {"name": "Maria Lind", "email": "maria.lind@nordic-hosted.example"}


def write(folder: Path, sessions: list[dict[str, Any]] = SESSIONS, **kw: Any) -> dict:
    return write_training(str(folder), "acme-corp", "ACME Corporation", sessions, ORGANIZER, **kw)


def event(path: Path) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert calendar["version"] == "2.0"
    assert calendar["method"] == "REQUEST"
    (found,) = calendar.walk("VEVENT")
    return found


def attendees(found: icalendar.Event) -> list[str]:
    value = found.get("attendee")
    values = value if isinstance(value, list) else [value]
    return [str(v).removeprefix("mailto:") for v in values]


def sheet(folder: Path) -> list[dict[str, str]]:
    with (folder / "attendance.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_each_session_is_an_invitation_with_its_date_and_attendees(tmp_path: Path) -> None:
    result = write(tmp_path)
    assert result == {
        "written": ["attendance.csv", "session-1.ics", "session-2.ics"],
        "removed": [],
    }
    first = event(tmp_path / "session-1.ics")
    assert first.decoded("dtstart") == dt.date(2026, 12, 8)
    assert first.decoded("dtend") == dt.date(2026, 12, 9)
    assert str(first["summary"]) == "ACME Corporation: Mailbox basics; folders, rules"
    assert attendees(first) == ["jdoe@acme.example", "bsmith@acme.example"]
    assert str(first["organizer"]) == "mailto:maria.lind@nordic-hosted.example"
    second = event(tmp_path / "session-2.ics")
    assert second.decoded("dtstart") == dt.date(2026, 12, 10)
    assert attendees(second) == ["jdoe@acme.example"]
    assert first["uid"] != second["uid"]
    assert b"\r\n" in (tmp_path / "session-1.ics").read_bytes()  # RFC 5545 line ends


def test_the_attendance_sheet_lists_each_attendee_of_each_session(tmp_path: Path) -> None:
    write(tmp_path)
    assert sheet(tmp_path) == [
        {
            "session": "1",
            "date": "2026-12-08",
            "topic": "Mailbox basics; folders, rules",
            "attendee": "jdoe@acme.example",
            "attended": "",
        },
        {
            "session": "1",
            "date": "2026-12-08",
            "topic": "Mailbox basics; folders, rules",
            "attendee": "bsmith@acme.example",
            "attended": "",
        },
        {
            "session": "2",
            "date": "2026-12-10",
            "topic": "Administration",
            "attendee": "jdoe@acme.example",
            "attended": "",
        },
    ]


def test_a_second_run_writes_nothing_and_the_bytes_are_the_same(tmp_path: Path) -> None:
    write(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert write(tmp_path) == {"written": [], "removed": []}
    other = tmp_path / "other"
    write(other)  # another run, elsewhere: same UID and DTSTAMP
    assert {p.name: p.read_bytes() for p in other.iterdir()} == before


def test_filled_in_attendance_is_kept_and_removed_sessions_go(tmp_path: Path) -> None:
    write(tmp_path)
    text = (tmp_path / "attendance.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[1] += "yes"
    (tmp_path / "attendance.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert write(tmp_path) == {"written": [], "removed": []}
    result = write(tmp_path, SESSIONS[:1])
    assert result == {"written": ["attendance.csv"], "removed": ["session-2.ics"]}
    assert not (tmp_path / "session-2.ics").exists()
    assert [r["attended"] for r in sheet(tmp_path)] == ["yes", ""]


def test_check_mode_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "training"
    assert write(folder, check=True)["written"] == [
        "attendance.csv",
        "session-1.ics",
        "session-2.ics",
    ]
    assert not folder.exists()


def test_a_changed_date_changes_that_invitation_only(tmp_path: Path) -> None:
    write(tmp_path)
    moved = [SESSIONS[0], {**SESSIONS[1], "date": "2026-12-11"}]
    assert write(tmp_path, moved)["written"] == ["attendance.csv", "session-2.ics"]
    assert event(tmp_path / "session-2.ics").decoded("dtstart") == dt.date(2026, 12, 11)


def test_a_bad_date_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="session 2: '2026-13-01' is not a date"):
        write(tmp_path, [SESSIONS[0], {**SESSIONS[1], "date": "2026-13-01"}])
    assert list(tmp_path.iterdir()) == []
