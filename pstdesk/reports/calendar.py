"""The working calendar as database rows (`WorkingDay`), so report queries count working minutes and working days
with indexed lookups instead of Python loops over consultations.

The rows of an office cover every calendar day from `ANCHOR` through a year, working or not, so a moment finds
its row by an equality on (office, local date): the report's set-based queries join consultations to the
calendar (a hash join on PostgreSQL) instead of looking a row up per consultation. A day off has an empty
service interval at its end (opens = closes = the next midnight), so one formula serves every day:

- working minutes before a moment m: `minutes_before + clamp(m − opens, 0, closes − opens) / 60`;
- the working day m counts for (the day's number in service hours, else the next working day):
  `ordinal + (1 if m ≥ closes else 0)`;
- inside service hours: `opens ≤ m < closes`.

They are rebuilt from `offices.calendar` when the office's calendar changes (a new standard's hours, a closure,
a new holiday table): the fingerprint of the calendar is stored beside them. Building is proportional to the
number of days (365 rows a year per office), never to the number of consultations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction

from pstdesk.lib import workdays
from pstdesk.offices.calendar import CalendarNotConfigured, calendar_for
from pstdesk.offices.models import Office
from pstdesk.reports.models import WorkingCalendarState, WorkingDay

# Working minutes are counted from here; consultations before it count as starting at it.
ANCHOR = date(2020, 1, 1)


# Part of the fingerprint: a change of what a row means rebuilds every office's rows once.
ROW_FORMAT = "every-day-v2"


def _fingerprint(cal: workdays.WorkCalendar) -> str:
    raw = repr((ROW_FORMAT, str(cal.zone), sorted(cal.hours.items()), sorted(cal.holidays)))
    return hashlib.sha256(raw.encode()).hexdigest()


def ensure_working_days(offices: Iterable[Office], through_year: int) -> None:
    """Make sure every office's `WorkingDay` rows cover `ANCHOR` .. 31 December of `through_year` (plus one year,
    so deadlines and answers just after a period are covered) and match its calendar today. Offices without a
    service standard have no working days (their working-time figures stay empty)."""
    last_year = through_year + 1
    years = range(ANCHOR.year, last_year + 1)
    for office in offices:
        try:
            cal = calendar_for(office, years=years)
        except CalendarNotConfigured:
            continue
        fingerprint = _fingerprint(cal)
        state = WorkingCalendarState.objects.filter(office=office).first()
        if state and state.fingerprint == fingerprint and state.through_year >= last_year:
            continue
        _rebuild(office, cal, last_year, fingerprint)


def _rebuild(office: Office, cal: workdays.WorkCalendar, last_year: int, fingerprint: str) -> None:
    rows: list[WorkingDay] = []
    minutes = 0.0
    ordinal = 0
    day = ANCHOR
    end = date(last_year, 12, 31)
    while day <= end:
        if workdays.is_working_day(cal, day):
            opens, closes = workdays.opening_time(cal, day), workdays.closing_time(cal, day)
            ordinal += 1
            rows.append(
                WorkingDay(
                    office=office,
                    date=day,
                    ordinal=ordinal,
                    opens_epoch=int(opens.timestamp()),
                    closes_epoch=int(closes.timestamp()),
                    minutes_before=minutes,
                )
            )
            minutes += (closes - opens).total_seconds() / 60
        else:
            # A day off: an empty interval at its end, numbered as the next working day.
            midnight = int(datetime.combine(day + timedelta(days=1), time(), tzinfo=cal.zone).timestamp())
            rows.append(
                WorkingDay(
                    office=office,
                    date=day,
                    ordinal=ordinal + 1,
                    opens_epoch=midnight,
                    closes_epoch=midnight,
                    minutes_before=minutes,
                )
            )
        day += timedelta(days=1)
    try:
        with transaction.atomic():
            WorkingDay.objects.filter(office=office).delete()
            WorkingDay.objects.bulk_create(rows, batch_size=1000)
            WorkingCalendarState.objects.update_or_create(
                office=office, defaults={"fingerprint": fingerprint, "through_year": last_year}
            )
    except IntegrityError:
        # Another process rebuilt the same office at the same moment from the same calendar: its rows serve.
        pass
