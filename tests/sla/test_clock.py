"""Support clocks, pinned with worked cases."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from asp_provision.sla.clock import Clock
from asp_provision.spec.catalog import weekly_hours

NEW_YORK = ZoneInfo("America/New_York")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
BUSINESS = weekly_hours("Mon-Fri 08:00-18:00")


def at(zone: ZoneInfo, *parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def silver(zone: ZoneInfo = NEW_YORK, country: str = "US") -> Clock:
    return Clock(zone, BUSINESS, country)


def test_friday_evening_to_monday_morning_is_105_business_minutes() -> None:
    # Friday 2026-11-06 17:30 to Monday 2026-11-09 09:15, New York time
    opened, answered = at(NEW_YORK, 2026, 11, 6, 17, 30), at(NEW_YORK, 2026, 11, 9, 9, 15)
    assert silver().minutes(opened, answered) == 105


def test_the_same_instants_given_in_another_zone_count_the_same() -> None:
    opened = at(NEW_YORK, 2026, 11, 6, 17, 30).astimezone(dt.UTC)
    answered = at(NEW_YORK, 2026, 11, 9, 9, 15).astimezone(ZoneInfo("Asia/Tokyo"))
    assert silver().minutes(opened, answered) == 105


def test_a_public_holiday_is_skipped() -> None:
    # Thanksgiving, Thursday 2026-11-26, is a US public holiday
    opened, answered = at(NEW_YORK, 2026, 11, 25, 17, 0), at(NEW_YORK, 2026, 11, 27, 9, 0)
    assert silver().minutes(opened, answered) == 120
    # in Sweden it is a working day
    assert silver(NEW_YORK, "SE").minutes(opened, answered) == 120 + 600


def test_business_hours_across_a_dst_change() -> None:
    # Europe moves to summer time on Sunday 2026-03-29: Friday 17:00 CET to Monday 09:00 CEST
    opened, answered = at(STOCKHOLM, 2026, 3, 27, 17, 0), at(STOCKHOLM, 2026, 3, 30, 9, 0)
    assert silver(STOCKHOLM, "SE").minutes(opened, answered) == 120
    # and the business day after the change starts at 08:00 local, i.e. 06:00 UTC
    monday = at(STOCKHOLM, 2026, 3, 30, 8, 0)
    assert monday.astimezone(dt.UTC).hour == 6
    assert silver(STOCKHOLM, "SE").minutes(monday, monday + dt.timedelta(hours=1)) == 60


def test_around_the_clock_across_a_dst_change_counts_real_minutes() -> None:
    # 01:30 CET to 03:30 CEST on 2026-03-29 is one hour, not two
    opened, answered = at(STOCKHOLM, 2026, 3, 29, 1, 30), at(STOCKHOLM, 2026, 3, 29, 3, 30)
    assert Clock(STOCKHOLM).minutes(opened, answered) == 60
    # and in autumn 00:30 to 03:30 on 2026-10-25 is four hours
    opened, answered = at(STOCKHOLM, 2026, 10, 25, 0, 30), at(STOCKHOLM, 2026, 10, 25, 3, 30)
    assert Clock(STOCKHOLM).minutes(opened, answered) == 240


def test_around_the_clock_counts_weekends() -> None:
    opened, answered = at(NEW_YORK, 2026, 11, 6, 17, 30), at(NEW_YORK, 2026, 11, 9, 9, 15)
    assert Clock(NEW_YORK).minutes(opened, answered) == 63 * 60 + 45


@pytest.mark.parametrize(("start", "end"), [((9, 0), (9, 0)), ((10, 0), (9, 0))])
def test_no_time_passes_backwards(start: tuple[int, int], end: tuple[int, int]) -> None:
    a, b = at(NEW_YORK, 2026, 11, 9, *start), at(NEW_YORK, 2026, 11, 9, *end)
    assert silver().minutes(a, b) == 0


def test_windows_are_the_parts_inside_support_hours() -> None:
    clock = Clock(STOCKHOLM, weekly_hours("Sun 02:00-06:00"))
    a = at(STOCKHOLM, 2026, 11, 8, 1, 0).timestamp()  # a Sunday
    b = at(STOCKHOLM, 2026, 11, 8, 3, 0).timestamp()
    assert clock.windows(a, b) == [(at(STOCKHOLM, 2026, 11, 8, 2, 0).timestamp(), b)]


def test_a_long_span_far_from_the_first_look_up() -> None:
    clock = silver()
    assert clock.minutes(at(NEW_YORK, 2026, 11, 9, 9), at(NEW_YORK, 2026, 11, 9, 10)) == 60
    # two years later: the clock extends its calendar
    assert clock.minutes(at(NEW_YORK, 2028, 11, 6, 9), at(NEW_YORK, 2028, 11, 6, 10)) == 60
