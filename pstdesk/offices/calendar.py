"""An office's working calendar: its standard's service hours, its time zone, Indonesian public holidays and
cuti bersama (the `holidays` package, categories PUBLIC and GOVERNMENT) and the office's own closures.

`calendar_for(office)` reads the database each call (the standard in force and the closures: two small indexed
queries), so a change of hours, standard or closures is seen at once by every process. Only the national holiday
table, which depends on nothing but the years, is cached in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.db.models import DateField, F, Value
from django.utils import timezone

from pstdesk.lib import workdays
from pstdesk.lib.workdays import WorkCalendar
from pstdesk.offices.models import HolidayDecision, HolidayOverride, Office, OfficeClosure


class CalendarNotConfigured(ValueError):
    """The office has no service standard (so no service hours)."""


@lru_cache(maxsize=64)
def national_holidays(years: tuple[int, ...]) -> dict[date, str]:
    """Indonesian public holidays and cuti bersama (collective leave) of `years`, with their Indonesian names."""
    table = holidays.country_holidays(
        "ID", years=years, categories=(holidays.PUBLIC, holidays.GOVERNMENT), language="id"
    )
    return dict(table.items())


def is_estimated(name: str) -> bool:
    """The `holidays` library marks dates it computes from a lunar calendar rather than from the government's
    decree as estimated: "(perkiraan)" in Indonesian."""
    return name.rstrip().endswith("(perkiraan)") or "estimated" in name.lower()


def _apply(names: dict[date, str], decisions: Iterable[tuple[date, str, str, date | None]]) -> dict[date, str]:
    """The national holidays with the office administrators' decisions (date, name, decision, moved_to) applied:
    a removed holiday is a working day, a moved one falls on its new date; a confirmed one loses its "estimated"
    mark."""
    for day, stored_name, decision, moved_to in decisions:
        name = names.pop(day, stored_name)
        if decision == HolidayDecision.REMOVED:
            continue
        name = name.replace(" (perkiraan)", "")
        if decision == HolidayDecision.MOVED and moved_to is not None:
            names[moved_to] = name
        else:
            names[day] = name
    return names


def holiday_rows(office: Office, years: Iterable[int]) -> list[dict[str, object]]:
    """The national holidays of `years` for the admin: date, name, whether the library estimated it, and the
    office's decision (confirmed / moved to / removed) if any."""
    covered = tuple(sorted(set(years)))
    decisions = {row.date: row for row in HolidayOverride.objects.filter(office=office, date__year__in=covered)}
    rows: list[dict[str, object]] = []
    for day, name in sorted(national_holidays(covered).items()):
        decision = decisions.get(day)
        rows.append(
            {
                "date": day,
                "name": name.replace(" (perkiraan)", ""),
                "estimated": is_estimated(name) and decision is None,
                "decision": decision.decision if decision else "",
                "moved_to": decision.moved_to if decision else None,
            }
        )
    return rows


def default_years(around: date | None = None) -> tuple[int, ...]:
    """The year before `around` (default: today) to two years after: enough for any SLA of the standard."""
    year = (around or timezone.now().date()).year
    return tuple(range(year - 1, year + 3))


def years_for(start: datetime) -> tuple[int, ...]:
    """Years a computation starting at `start` can touch (an SLA of N ≤ ~200 working days)."""
    return tuple(range(start.year - 1, start.year + 3))


def calendar_for(office: Office, *, years: Iterable[int] | None = None) -> WorkCalendar:
    """The working calendar of `office` covering `years` (default: `default_years()`).

    Raises CalendarNotConfigured when the office has no service standard.
    """
    covered = tuple(sorted(set(years))) if years is not None else default_years()
    standard = office.standard
    if standard is None:
        raise CalendarNotConfigured(f"office {office.code} has no service standard")
    hours = workdays.parse_service_hours(standard.service_hours or {})
    # The office's closures and its decisions on national holidays, in one query (the intake's hot path reads this).

    closures = (
        OfficeClosure.objects.filter(office=office, date__year__in=covered)
        .annotate(kind=Value("closure"), moved=Value(None, output_field=DateField()))
        .values_list("date", "reason", "kind", "moved")
        .order_by()
    )
    overrides = (
        HolidayOverride.objects.filter(office=office, date__year__in=covered)
        .annotate(kind=F("decision"), moved=F("moved_to"))
        .values_list("date", "name", "kind", "moved")
        .order_by()
    )
    rows = list(closures.union(overrides, all=True))
    names = _apply(dict(national_holidays(covered)), [r for r in rows if r[2] != "closure"])
    for day, reason, kind, _moved in rows:
        if kind == "closure":
            names.setdefault(day, reason)
    return WorkCalendar(
        zone=ZoneInfo(office.timezone),
        hours=hours,
        holidays=frozenset(names),
        years=frozenset(covered),
        holiday_names=names,
    )


def is_office_open(office: Office, at: datetime | None = None) -> bool:
    """True when `office` is within its service hours at `at` (default: now)."""
    at = at or timezone.now()
    return workdays.is_open(calendar_for(office, years=years_for(at)), at)


def next_office_opening(office: Office, at: datetime | None = None) -> datetime:
    """The earliest moment ≥ `at` (default: now) at which `office` serves, in the office's zone."""
    at = at or timezone.now()
    return workdays.next_opening(calendar_for(office, years=years_for(at)), at)
