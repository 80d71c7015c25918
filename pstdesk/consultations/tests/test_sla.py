"""The SLA rule, tested without the database.

The rule (DESIGN.md): the start is taken in the office's zone; a start outside service hours moves to the next
opening, and that day is day 0; the deadline is the closing time of the N-th working day after day 0. Working
days are Monday–Friday minus public holidays, cuti bersama and the office's closures.

Each table row states its derivation: "day 0 → working days 1, 2, 3 → closing". Hours: Tabanan (5102) Mon–Thu
08:00–16:00, Fri 08:00–16:30; Jembrana (5101) Mon–Fri 08:00–15:30; both WITA (UTC+8). N = 3.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pstdesk.consultations.sla import first_response_due_at, sla_day_zero, sla_due_at
from pstdesk.lib import workdays as wd
from pstdesk.lib.tests.calendars import WITA, seed_calendar

UTC = UTC
WIB = ZoneInfo("Asia/Jakarta")
N = 3


def wita(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=WITA)


# (office, start, closures, expected due in WITA, derivation)
CASES = [
    # The standard's example and the plain week.
    ("5102", wita(2026, 11, 23, 10), (), wita(2026, 11, 26, 16), "Mon d0 → Tue, Wed, Thu → Thu close 16:00"),
    ("5102", wita(2026, 11, 24, 10), (), wita(2026, 11, 27, 16, 30), "Tue d0 → Wed, Thu, Fri → Fri close 16:30"),
    ("5101", wita(2026, 11, 24, 10), (), wita(2026, 11, 27, 15, 30), "Tue d0 → Wed, Thu, Fri → Fri close 15:30"),
    ("5101", wita(2026, 11, 23, 10), (), wita(2026, 11, 26, 15, 30), "Mon d0 → Tue, Wed, Thu → Thu 15:30"),
    # Weekends.
    ("5102", wita(2026, 11, 25, 10), (), wita(2026, 11, 30, 16), "Wed d0 → Thu, Fri, (weekend) Mon"),
    ("5102", wita(2026, 11, 28, 10), (), wita(2026, 12, 3, 16), "Sat → opens Mon = d0 → Tue, Wed, Thu"),
    ("5102", wita(2026, 11, 29, 23, 59), (), wita(2026, 12, 3, 16), "Sun night → Mon d0 → Thu"),
    # Before opening, exactly at opening, just before and exactly at closing.
    ("5102", wita(2026, 11, 23, 7, 59), (), wita(2026, 11, 26, 16), "Mon before opening → Mon 08:00 d0"),
    ("5102", wita(2026, 11, 23, 0, 0), (), wita(2026, 11, 26, 16), "Mon midnight → Mon 08:00 d0"),
    ("5102", wita(2026, 11, 23, 8, 0), (), wita(2026, 11, 26, 16), "Mon at opening is open → Mon d0"),
    ("5102", wita(2026, 11, 23, 15, 59, 59), (), wita(2026, 11, 26, 16), "Mon 15:59:59 open → Mon d0"),
    ("5102", wita(2026, 11, 23, 16, 0), (), wita(2026, 11, 27, 16, 30), "Mon at closing is closed → Tue d0"),
    ("5102", wita(2026, 11, 23, 19, 0), (), wita(2026, 11, 27, 16, 30), "Mon evening → Tue d0 → Fri 16:30"),
    # Friday's later closing (Tabanan) against Jembrana's.
    ("5102", wita(2026, 11, 27, 16, 15), (), wita(2026, 12, 2, 16), "Fri 16:15 still open in 5102 → Fri d0"),
    ("5101", wita(2026, 11, 27, 16, 15), (), wita(2026, 12, 3, 15, 30), "Fri 16:15 closed in 5101 → Mon d0"),
    ("5102", wita(2026, 11, 27, 16, 30), (), wita(2026, 12, 3, 16), "Fri at 16:30 closed → Mon d0 → Thu"),
    ("5101", wita(2026, 11, 27, 15, 30), (), wita(2026, 12, 3, 15, 30), "Fri at 15:30 closed in 5101 → Mon d0"),
    # Input in UTC and other offsets: the office's zone decides the day.
    ("5102", datetime(2026, 11, 23, 2, 0, tzinfo=UTC), (), wita(2026, 11, 26, 16), "02:00Z = Mon 10:00 WITA"),
    ("5102", datetime(2026, 11, 23, 8, 0, tzinfo=UTC), (), wita(2026, 11, 27, 16, 30), "08:00Z = Mon 16:00 WITA"),
    (
        "5102",
        datetime(2026, 11, 22, 23, 30, tzinfo=UTC),
        (),
        wita(2026, 11, 26, 16),
        "Sun 23:30Z = Mon 07:30 WITA → Mon d0 (not Sunday)",
    ),
    (
        "5101",
        datetime(2026, 11, 22, 16, 0, tzinfo=UTC),
        (),
        wita(2026, 11, 26, 15, 30),
        "Sun 16:00Z = Mon 00:00 WITA → Mon d0",
    ),
    (
        "5102",
        datetime(2026, 11, 23, 15, 30, tzinfo=WIB),
        (),
        wita(2026, 11, 27, 16, 30),
        "15:30 WIB = 16:30 WITA, after closing → Tue d0",
    ),
    (
        "5102",
        datetime(2026, 11, 23, 21, 0, tzinfo=ZoneInfo("America/New_York")),
        (),
        wita(2026, 11, 27, 16, 30),
        "Mon 21:00 EST = Tue 10:00 WITA → Tue d0",
    ),
    # Christmas 2026: Thu 24 Dec cuti bersama, Fri 25 Dec Natal.
    ("5102", wita(2026, 12, 23, 10), (), wita(2026, 12, 30, 16), "Wed d0 → (24, 25, weekend) Mon, Tue, Wed"),
    ("5102", wita(2026, 12, 22, 10), (), wita(2026, 12, 29, 16), "Tue d0 → Wed 23, (24, 25, wknd) Mon, Tue"),
    ("5102", wita(2026, 12, 24, 9), (), wita(2026, 12, 31, 16), "Thu 24 is cuti bersama → opens Mon 28 = d0"),
    ("5101", wita(2026, 12, 23, 16), (), wita(2026, 12, 31, 15, 30), "Wed after 15:30 → Mon 28 d0 → Thu 31"),
    # New year: Fri 1 Jan 2027.
    ("5101", wita(2026, 12, 29, 10), (), wita(2027, 1, 4, 15, 30), "Tue d0 → Wed, Thu, (1 Jan, wknd) Mon"),
    # Nyepi (Wed 18 cuti, Thu 19) and Idul Fitri 2026 (Fri 20 cuti, Sat 21, Sun 22, Mon 23 and Tue 24 cuti).
    ("5102", wita(2026, 3, 17, 10), (), wita(2026, 3, 27, 16, 30), "Tue 17 d0 → Wed 25, Thu 26, Fri 27"),
    ("5101", wita(2026, 3, 18, 9), (), wita(2026, 3, 30, 15, 30), "Wed 18 holiday → opens Wed 25 = d0 → Mon 30"),
    ("5102", wita(2026, 3, 16, 10), (), wita(2026, 3, 26, 16), "Mon 16 d0 → Tue 17, Wed 25, Thu 26"),
    # Office closures (an admin's closure day is not a working day).
    (
        "5102",
        wita(2026, 11, 23, 10),
        (date(2026, 11, 25),),
        wita(2026, 11, 27, 16, 30),
        "closure Wed → Mon d0 → Tue, Thu, Fri",
    ),
    (
        "5102",
        wita(2026, 11, 23, 10),
        (date(2026, 11, 23),),
        wita(2026, 11, 27, 16, 30),
        "closure on Mon itself → opens Tue = d0 → Fri",
    ),
    (
        "5101",
        wita(2026, 11, 23, 10),
        (date(2026, 11, 26), date(2026, 11, 27)),
        wita(2026, 11, 30, 15, 30),
        "closures Thu, Fri → Mon d0 → Tue, Wed, (Thu, Fri, weekend) Mon",
    ),
]


@pytest.mark.parametrize(("office", "start", "closures", "expected", "why"), CASES, ids=[case[4] for case in CASES])
def test_sla_due_at_table(
    office: str, start: datetime, closures: tuple[date, ...], expected: datetime, why: str
) -> None:
    cal = seed_calendar(office, closures)
    due = sla_due_at(start, cal, N)
    assert due == expected, why
    assert due.utcoffset() == timedelta(hours=8)  # returned in the office's zone
    assert due.isoformat() == expected.isoformat()


def test_the_design_example_prints_as_the_contract_says() -> None:
    assert sla_due_at(wita(2026, 11, 23, 10), seed_calendar("5102"), 3).isoformat() == "2026-11-26T16:00:00+08:00"


def test_zero_working_days_is_the_close_of_day_zero() -> None:
    cal = seed_calendar("5102")
    assert sla_due_at(wita(2026, 11, 23, 10), cal, 0) == wita(2026, 11, 23, 16)
    assert sla_due_at(wita(2026, 11, 28, 10), cal, 0) == wita(2026, 11, 30, 16)


def test_first_response_due_counts_working_minutes() -> None:
    cal = seed_calendar("5102")
    assert first_response_due_at(wita(2026, 11, 23, 10), cal, 120) == wita(2026, 11, 23, 12)
    assert first_response_due_at(wita(2026, 11, 23, 15), cal, 120) == wita(2026, 11, 24, 9)
    assert first_response_due_at(wita(2026, 11, 27, 22), cal, 120) == wita(2026, 11, 30, 10)
    assert first_response_due_at(wita(2026, 12, 23, 15, 30), cal, 120) == wita(2026, 12, 28, 9, 30)


# --- properties of the rule ------------------------------------------------------------------------------------
ZONES = [WITA, UTC, WIB, ZoneInfo("Asia/Jayapura"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]
OFFICES = ["5101", "5102"]
moments = st.builds(
    lambda minutes, zone: (wita(2025, 1, 1) + timedelta(minutes=minutes)).astimezone(zone),
    st.integers(min_value=0, max_value=(2 * 365 + 300) * 24 * 60),
    st.sampled_from(ZONES),
)
closure_sets = st.frozensets(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), max_size=30)


@settings(max_examples=400, deadline=None)
@given(office=st.sampled_from(OFFICES), start=moments, n=st.integers(0, 10), closures=closure_sets)
def test_due_is_a_closing_time_exactly_n_working_days_after_day_zero(
    office: str, start: datetime, n: int, closures: frozenset[date]
) -> None:
    cal = seed_calendar(office, closures)
    due = sla_due_at(start, cal, n)
    day0 = sla_day_zero(start, cal)
    local_start = start.astimezone(WITA)
    # Day 0 is the start's own day when the office is open then, else the day of the next opening.
    if wd.is_open(cal, start):
        assert day0.date() == local_start.date()
    else:
        assert day0 == wd.opening_time(cal, day0.date())
    assert wd.is_working_day(cal, day0.date())
    # The deadline: a working day, at its closing time, exactly n working days after day 0, after the start.
    assert wd.is_working_day(cal, due.date())
    assert due == wd.closing_time(cal, due.date())
    assert wd.working_days_between(cal, day0.date(), due.date()) == n
    assert due > start
    assert due.tzinfo == WITA


@settings(max_examples=300, deadline=None)
@given(office=st.sampled_from(OFFICES), a=moments, b=moments, n=st.integers(0, 6), closures=closure_sets)
def test_due_is_monotonic_in_the_start(
    office: str, a: datetime, b: datetime, n: int, closures: frozenset[date]
) -> None:
    cal = seed_calendar(office, closures)
    early, late = sorted([a, b])
    assert sla_due_at(early, cal, n) <= sla_due_at(late, cal, n)


@settings(max_examples=200, deadline=None)
@given(office=st.sampled_from(OFFICES), start=moments, zone=st.sampled_from(ZONES), n=st.integers(0, 6))
def test_due_does_not_depend_on_the_input_offset(office: str, start: datetime, zone: ZoneInfo, n: int) -> None:
    cal = seed_calendar(office)
    assert sla_due_at(start, cal, n) == sla_due_at(start.astimezone(zone), cal, n)


@settings(max_examples=200, deadline=None)
@given(office=st.sampled_from(OFFICES), start=moments, n=st.integers(0, 6))
def test_one_more_working_day_moves_the_due_to_the_next_working_day(office: str, start: datetime, n: int) -> None:
    cal = seed_calendar(office)
    due, later = sla_due_at(start, cal, n), sla_due_at(start, cal, n + 1)
    assert later > due
    assert wd.working_days_between(cal, due.date(), later.date()) == 1


@settings(max_examples=200, deadline=None)
@given(office=st.sampled_from(OFFICES), start=moments, closure=st.dates(date(2025, 1, 1), date(2027, 12, 31)))
def test_a_closure_never_brings_the_due_earlier(office: str, start: datetime, closure: date) -> None:
    before = sla_due_at(start, seed_calendar(office), N)
    after = sla_due_at(start, seed_calendar(office, [closure]), N)
    assert after >= before
    day0 = sla_day_zero(start, seed_calendar(office)).date()
    if not (day0 <= closure <= before.date()) or not wd.is_working_day(seed_calendar(office), closure):
        assert after == before  # a closure outside the counted days changes nothing
    else:
        assert after > before


@settings(max_examples=200, deadline=None)
@given(office=st.sampled_from(OFFICES), start=moments, minutes=st.integers(1, 600))
def test_first_response_due_is_minutes_of_service_time_away(office: str, start: datetime, minutes: int) -> None:
    cal = seed_calendar(office)
    due = first_response_due_at(start, cal, minutes)
    assume(due.year <= 2027)
    assert wd.working_minutes_between(cal, start, due) == pytest.approx(minutes)
    assert wd.is_open(cal, due - timedelta(seconds=1))
