# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""Training invitations (one iCalendar file per session, RFC 5545) and the attendance sheet.

Everything written is a function of the customer and its sessions: the UID and DTSTAMP
of an invitation come from the customer, the session's number and its date, so the same
sessions write the same bytes and a second run changes nothing. A hand-filled
``attended`` column of the sheet is kept when the sheet is written again.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import os
import re
import tempfile
from typing import Any

PRODID = "-//asp-provision//training invitations//EN"
SHEET = "attendance.csv"
SHEET_COLUMNS = ("session", "date", "topic", "attendee", "attended")
_INVITATION = re.compile(r"session-([0-9]+)\.ics\Z")


class TrainingError(ValueError):
    """A session that cannot be turned into an invitation."""


def invitation_name(number: int) -> str:
    """The file of the ``number``-th session (1-based)."""
    return f"session-{number}.ics"


def uid(customer: str, number: int) -> str:
    """The invitation's UID: the same for a customer's n-th session on every run."""
    digest = hashlib.sha256(f"{customer}\0training\0{number}".encode()).hexdigest()
    return f"{digest[:32]}@asp-provision"


def _date(value: Any, number: int) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise TrainingError(f"session {number}: {value!r} is not a date (YYYY-MM-DD)") from None


def invitation(
    customer: str,
    name: str,
    number: int,
    session: dict[str, Any],
    organizer: dict[str, str] | None = None,
) -> bytes:
    """The iCalendar text of one session: an all-day event with its attendees."""
    from icalendar import Calendar, Event, vCalAddress, vText

    day = _date(session.get("date"), number)
    topic = str(session.get("topic") or "Training")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid(customer, number))
    # when the invitation was made: fixed by the session, so a re-run writes the same
    event.add("dtstamp", dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC))
    event.add("sequence", 0)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", vText(f"{name}: {topic}"))
    event.add("description", vText(f"Training session {number} for {name}: {topic}"))
    if organizer and organizer.get("email"):
        who = vCalAddress(f"mailto:{organizer['email']}")
        if organizer.get("name"):
            who.params["cn"] = vText(organizer["name"])
        event.add("organizer", who)
    for email in session.get("attendees") or []:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()


def _attended(path: str) -> dict[tuple[str, str], str]:
    """What the sheet at ``path`` says was attended, by (session, attendee)."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (FileNotFoundError, UnicodeDecodeError, csv.Error):
        return {}
    return {
        (row.get("session") or "", (row.get("attendee") or "").lower()): row.get("attended") or ""
        for row in rows
        if row.get("attended")
    }


def sheet(sessions: list[dict[str, Any]], attended: dict[tuple[str, str], str]) -> bytes:
    """The attendance sheet: one row per session and attendee, ``attended`` to fill in."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SHEET_COLUMNS)
    for number, session in enumerate(sessions, start=1):
        day = _date(session.get("date"), number).isoformat()
        topic = str(session.get("topic") or "")
        for email in session.get("attendees") or []:
            mark = attended.get((str(number), str(email).lower()), "")
            writer.writerow((number, day, topic, email, mark))
    return out.getvalue().encode("utf-8")


def _same(path: str, data: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read() == data
    except FileNotFoundError:
        return False


def _write(path: str, data: bytes, mode: int = 0o644) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".asp-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_training(
    folder: str,
    customer: str,
    name: str,
    sessions: list[dict[str, Any]],
    organizer: dict[str, str] | None = None,
    check: bool = False,
) -> dict[str, list[str]]:
    """Make ``folder`` hold an invitation per session and the attendance sheet.

    Invitations of sessions no longer listed are removed. Returns the files ``written``
    and ``removed`` (in check mode: those that would be); nothing changes when both are
    empty.
    """
    wanted: dict[str, bytes] = {
        invitation_name(n): invitation(customer, name, n, s, organizer)
        for n, s in enumerate(sessions, start=1)
    }
    sheet_path = os.path.join(folder, SHEET)
    if sessions:
        wanted[SHEET] = sheet(sessions, _attended(sheet_path))
    written = [f for f, data in wanted.items() if not _same(os.path.join(folder, f), data)]
    existing = os.listdir(folder) if os.path.isdir(folder) else []
    # the sheet stays: it may hold what was filled in by hand
    stale = [f for f in existing if _INVITATION.match(f) and f not in wanted]
    if not check:
        for file in written:
            _write(os.path.join(folder, file), wanted[file])
        for file in stale:
            os.unlink(os.path.join(folder, file))
    return {"written": sorted(written), "removed": sorted(stale)}
