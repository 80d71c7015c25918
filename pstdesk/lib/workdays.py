"""Working days and service hours: pure functions over a frozen `WorkCalendar`.

No database, no clock: every function takes the calendar and the moment explicitly, so the SLA rule can be
tested over tables and properties without fixtures. `offices.calendar.calendar_for(office)` builds the calendar
of a real office (its standard's service hours, its time zone, Indonesian public holidays and cuti bersama, and
its own closures).

Conventions:
- Datetimes must be aware (a naive datetime is a programming error: `ValueError`). Results are in the calendar's
  zone; compare them freely with datetimes in any other zone.
- Service hours are the half-open interval [opening, closing): at exactly the closing time the office is closed.
- A working day is a day whose weekday has service hours and that is neither a holiday nor a closure.
- `years`, when set, are the years the holiday set is complete for. Any function that would look at a day of
  another year raises `CalendarRangeError` instead of silently treating an unknown holiday as a working day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A calendar with no working day within this many days is unusable (no hours configured, or closed for years).
MAX_SEARCH_DAYS = 3 * 366

Hours = tuple[time, time]


class CalendarRangeError(ValueError):
    """The computation reached a year the calendar's holiday set does not cover."""


@dataclass(frozen=True)
class WorkCalendar:
    """An office's working calendar.

    - zone: the office's time zone; service hours and day boundaries are in it.
    - hours: {weekday (0 = Monday … 6 = Sunday): (opening, closing) or None when closed all day}.
    - holidays: dates (in the office zone) on which the office does not serve: public holidays, cuti bersama and
      the office's own closures.
    - years: the years `holidays` is complete for, or None when it is complete for every year (tests, fixtures).
    """

    zone: ZoneInfo
    hours: Mapping[int, Hours | None]
    holidays: frozenset[date] = frozenset()
    years: frozenset[int] | None = None
    # Why a day is not worked, for display ("Hari Raya Natal", "Rapat kerja"): optional, never used in math.
    holiday_names: Mapping[date, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for weekday, span in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0..6, got {weekday!r}")
            if span is not None and not span[0] < span[1]:
                raise ValueError(f"opening must be before closing on weekday {weekday}: {span!r}")

    def __hash__(self) -> int:  # hours is a dict: hash what identifies the calendar
        return hash((str(self.zone), tuple(sorted(self.hours.items())), self.holidays, self.years))


def parse_service_hours(raw: Mapping[str, Iterable[str] | None]) -> dict[int, Hours | None]:
    """{"mon": ["08:00", "16:00"], ..., "sat": null} (the ServiceStandard format) → {0: (08:00, 16:00), ...}.

    Missing weekdays are closed. Raises ValueError on a malformed entry.
    """
    unknown = set(raw) - set(WEEKDAY_KEYS)
    if unknown:
        raise ValueError(f"unknown weekday keys in service hours: {sorted(unknown)}")
    hours: dict[int, Hours | None] = {}
    for index, key in enumerate(WEEKDAY_KEYS):
        span = raw.get(key)
        if not span:
            hours[index] = None
            continue
        opening, closing = (time.fromisoformat(value) for value in span)
        if not opening < closing:
            raise ValueError(f"service hours of {key}: opening {opening} is not before closing {closing}")
        hours[index] = (opening, closing)
    return hours


def _local(cal: WorkCalendar, at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: pass an aware datetime")
    return at.astimezone(cal.zone)


def _check_year(cal: WorkCalendar, day: date) -> None:
    if cal.years is not None and day.year not in cal.years:
        raise CalendarRangeError(f"the calendar's holidays do not cover {day.year} (covers {sorted(cal.years)})")


def _hours(cal: WorkCalendar, day: date) -> Hours | None:
    return cal.hours.get(day.weekday())


def _at(cal: WorkCalendar, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=cal.zone)


def is_working_day(cal: WorkCalendar, day: date) -> bool:
    """True when the office serves on `day`: its weekday has hours and it is no holiday or closure."""
    _check_year(cal, day)
    return _hours(cal, day) is not None and day not in cal.holidays


def _next_working_day(cal: WorkCalendar, day: date) -> date:
    """The first working day strictly after `day`."""
    for offset in range(1, MAX_SEARCH_DAYS + 1):
        candidate = day + timedelta(days=offset)
        if is_working_day(cal, candidate):
            return candidate
    raise ValueError(f"no working day within {MAX_SEARCH_DAYS} days after {day}")


def opening_time(cal: WorkCalendar, day: date) -> datetime:
    """The moment the office opens on working day `day` (ValueError if it is not a working day)."""
    if not is_working_day(cal, day):
        raise ValueError(f"{day} is not a working day")
    span = _hours(cal, day)
    assert span is not None
    return _at(cal, day, span[0])


def closing_time(cal: WorkCalendar, day: date) -> datetime:
    """The moment the office closes on working day `day` (ValueError if it is not a working day)."""
    if not is_working_day(cal, day):
        raise ValueError(f"{day} is not a working day")
    span = _hours(cal, day)
    assert span is not None
    return _at(cal, day, span[1])


def is_open(cal: WorkCalendar, at: datetime) -> bool:
    """True when `at` falls within service hours of a working day (closing time itself is closed)."""
    local = _local(cal, at)
    day = local.date()
    if not is_working_day(cal, day):
        return False
    return opening_time(cal, day) <= local < closing_time(cal, day)


def next_opening(cal: WorkCalendar, at: datetime) -> datetime:
    """The earliest moment ≥ `at` at which the office is open: `at` itself (in the calendar zone) when open now,
    else today's opening if it is still ahead, else the opening of the next working day."""
    local = _local(cal, at)
    day = local.date()
    if is_working_day(cal, day):
        if local < opening_time(cal, day):
            return opening_time(cal, day)
        if local < closing_time(cal, day):
            return local
    return opening_time(cal, _next_working_day(cal, day))


def add_working_days(cal: WorkCalendar, day: date, n: int) -> date:
    """The n-th working day after `day` (`day` itself counts as day 0 whether it is worked or not).

    n = 0 returns `day` unchanged.
    """
    if n < 0:
        raise ValueError(f"n must be ≥ 0, got {n}")
    current = day
    for _ in range(n):
        current = _next_working_day(cal, current)
    return current


def working_days_between(cal: WorkCalendar, start: date, end: date) -> int:
    """How many working days lie in (start, end]: the inverse of `add_working_days` for working `end` days."""
    if end < start:
        return -working_days_between(cal, end, start)
    return sum(1 for k in range(1, (end - start).days + 1) if is_working_day(cal, start + timedelta(days=k)))


def working_minutes_between(cal: WorkCalendar, a: datetime, b: datetime) -> float:
    """Minutes of service hours in [a, b) (0 when b ≤ a)."""
    start, end = _local(cal, a), _local(cal, b)
    if end <= start:
        return 0.0
    total = timedelta()
    day = start.date()
    while day <= end.date():
        if is_working_day(cal, day):
            lo = max(start, opening_time(cal, day))
            hi = min(end, closing_time(cal, day))
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 60


def add_working_minutes(cal: WorkCalendar, at: datetime, minutes: float) -> datetime:
    """The moment when `minutes` of service time have passed since `at`.

    Time outside service hours does not count. A budget that runs out exactly at a closing time ends at that
    closing time (not at the next opening). minutes = 0 gives `next_opening(at)`.
    """
    if minutes < 0:
        raise ValueError(f"minutes must be ≥ 0, got {minutes}")
    remaining = timedelta(minutes=minutes)
    current = next_opening(cal, at)
    for _ in range(MAX_SEARCH_DAYS):
        day = current.date()
        closing = closing_time(cal, day)
        if current + remaining <= closing:
            return current + remaining
        remaining -= closing - current
        current = opening_time(cal, _next_working_day(cal, day))
    raise ValueError(f"{minutes} working minutes do not fit in {MAX_SEARCH_DAYS} days")
