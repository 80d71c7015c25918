"""The working-calendar functions, without the database: examples at the edges and properties over random
moments (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pstdesk.lib import workdays as wd
from pstdesk.lib.tests.calendars import WITA, seed_calendar

CAL = seed_calendar("5102")
UTC = UTC


def wita(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=WITA)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # Monday
        (date(2026, 11, 27), True),  # Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 12, 24), False),  # cuti bersama Natal (GOVERNMENT category)
        (date(2026, 12, 25), False),  # Hari Raya Natal (PUBLIC)
        (date(2026, 3, 20), False),  # cuti bersama Idul Fitri
        (date(2026, 3, 23), False),  # cuti bersama Idul Fitri, a Monday
        (date(2026, 3, 25), True),  # first working day after Idul Fitri
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert wd.is_working_day(CAL, day) is working


def test_closure_is_not_a_working_day() -> None:
    cal = seed_calendar("5102", closures=[date(2026, 11, 25)])
    assert not wd.is_working_day(cal, date(2026, 11, 25))
    assert wd.is_working_day(CAL, date(2026, 11, 25))


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (wita(2026, 11, 23, 7, 59, 59), False),
        (wita(2026, 11, 23, 8, 0), True),  # opening is open
        (wita(2026, 11, 23, 15, 59, 59), True),
        (wita(2026, 11, 23, 16, 0), False),  # closing is closed
        (wita(2026, 11, 27, 16, 15), True),  # Friday closes at 16:30 in Tabanan
        (wita(2026, 11, 28, 10, 0), False),
        (datetime(2026, 11, 23, 2, 0, tzinfo=UTC), True),  # 10:00 WITA
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), False),  # Monday 07:30 WITA
        (datetime(2026, 11, 23, 0, 30, tzinfo=UTC), True),  # Sunday in UTC is Monday 08:30 in WITA
    ],
)
def test_is_open(at: datetime, open_: bool) -> None:
    assert wd.is_open(CAL, at) is open_


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        wd.is_open(CAL, datetime(2026, 11, 23, 10))


def test_year_outside_the_calendar_is_refused() -> None:
    with pytest.raises(wd.CalendarRangeError):
        wd.is_working_day(CAL, date(2031, 1, 2))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (wita(2026, 11, 23, 10, 0), wita(2026, 11, 23, 10, 0)),  # open: now
        (wita(2026, 11, 23, 6, 0), wita(2026, 11, 23, 8, 0)),  # before opening: today
        (wita(2026, 11, 23, 16, 0), wita(2026, 11, 24, 8, 0)),  # at closing: tomorrow
        (wita(2026, 11, 27, 16, 30), wita(2026, 11, 30, 8, 0)),  # Friday closing: Monday
        (wita(2026, 12, 23, 17, 0), wita(2026, 12, 28, 8, 0)),  # Christmas with its cuti bersama
        (wita(2026, 3, 17, 16, 0), wita(2026, 3, 25, 8, 0)),  # Nyepi + Idul Fitri 2026
    ],
)
def test_next_opening(at: datetime, expected: datetime) -> None:
    assert wd.next_opening(CAL, at) == expected


def test_add_working_days() -> None:
    assert wd.add_working_days(CAL, date(2026, 11, 23), 0) == date(2026, 11, 23)
    assert wd.add_working_days(CAL, date(2026, 11, 23), 3) == date(2026, 11, 26)
    assert wd.add_working_days(CAL, date(2026, 11, 26), 2) == date(2026, 11, 30)
    assert wd.add_working_days(CAL, date(2026, 11, 28), 1) == date(2026, 11, 30)  # from a Saturday
    with pytest.raises(ValueError):
        wd.add_working_days(CAL, date(2026, 11, 23), -1)


def test_closing_time() -> None:
    assert wd.closing_time(CAL, date(2026, 11, 26)) == wita(2026, 11, 26, 16, 0)
    assert wd.closing_time(CAL, date(2026, 11, 27)) == wita(2026, 11, 27, 16, 30)
    assert wd.closing_time(seed_calendar("5101"), date(2026, 11, 27)) == wita(2026, 11, 27, 15, 30)
    with pytest.raises(ValueError):
        wd.closing_time(CAL, date(2026, 11, 28))


def test_working_minutes_and_add_working_minutes() -> None:
    # Monday 15:00 → Tuesday 09:00: one hour on Monday, one on Tuesday.
    assert wd.working_minutes_between(CAL, wita(2026, 11, 23, 15), wita(2026, 11, 24, 9)) == 120
    assert wd.add_working_minutes(CAL, wita(2026, 11, 23, 15), 120) == wita(2026, 11, 24, 9)
    # A budget that ends exactly at closing ends at closing, not at the next opening.
    assert wd.add_working_minutes(CAL, wita(2026, 11, 23, 15), 60) == wita(2026, 11, 23, 16)
    # From the night: counting starts at the next opening.
    assert wd.add_working_minutes(CAL, wita(2026, 11, 27, 20), 30) == wita(2026, 11, 30, 8, 30)
    assert wd.working_minutes_between(CAL, wita(2026, 11, 24, 9), wita(2026, 11, 23, 15)) == 0


def test_parse_service_hours() -> None:
    hours = wd.parse_service_hours({"mon": ["08:00", "16:00"], "fri": ["08:00", "16:30"], "sat": None})
    assert hours[0] == (time(8), time(16)) and hours[4] == (time(8), time(16, 30))
    assert hours[5] is None and hours[1] is None  # missing days are closed
    with pytest.raises(ValueError):
        wd.parse_service_hours({"mon": ["16:00", "08:00"]})
    with pytest.raises(ValueError):
        wd.parse_service_hours({"monday": ["08:00", "16:00"]})
    with pytest.raises(ValueError):
        wd.parse_service_hours({"mon": ["8 pagi", "16:00"]})


def test_calendar_without_working_days_fails_loudly() -> None:
    cal = wd.WorkCalendar(zone=WITA, hours={d: None for d in range(7)})
    with pytest.raises(ValueError, match="no working day"):
        wd.next_opening(cal, wita(2026, 11, 23, 10))


# --- properties ------------------------------------------------------------------------------------------------
ZONES = [WITA, UTC, ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura"), ZoneInfo("America/New_York")]
moments = st.builds(
    lambda minutes, zone: (wita(2026, 1, 1) + timedelta(minutes=minutes)).astimezone(zone),
    st.integers(min_value=0, max_value=2 * 365 * 24 * 60),
    st.sampled_from(ZONES),
)


@settings(max_examples=300, deadline=None)
@given(at=moments)
def test_next_opening_is_the_first_open_moment(at: datetime) -> None:
    opening = wd.next_opening(CAL, at)
    assert opening >= at
    assert wd.is_open(CAL, opening)
    if opening != at:
        # Closed from `at` until the opening: the opening is the start of its day's hours, and no working day
        # lies strictly between.
        assert not wd.is_open(CAL, at)
        assert opening == wd.opening_time(CAL, opening.date())
        assert not wd.is_open(CAL, opening - timedelta(seconds=1))
        day = at.astimezone(WITA).date() + timedelta(days=1)
        while day < opening.date():
            assert not wd.is_working_day(CAL, day)
            day += timedelta(days=1)


@settings(max_examples=300, deadline=None)
@given(at=moments, minutes=st.integers(min_value=0, max_value=3 * 8 * 60))
def test_add_working_minutes_inverts_working_minutes_between(at: datetime, minutes: int) -> None:
    end = wd.add_working_minutes(CAL, at, minutes)
    assert end >= at
    assert wd.working_minutes_between(CAL, at, end) == pytest.approx(minutes)


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 6, 30)), n=st.integers(0, 15))
def test_add_working_days_counts_working_days(day: date, n: int) -> None:
    result = wd.add_working_days(CAL, day, n)
    assert wd.working_days_between(CAL, day, result) == n
    if n:
        assert wd.is_working_day(CAL, result)
