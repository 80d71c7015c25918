"""Reading the duty roster: who is rostered at a moment, an office's minimum, and the coverage of the coming weeks.
Pure functions over rows loaded once (a constant number of queries whatever the number of days or officers)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from pstdesk.lib import workdays
from pstdesk.lib.workdays import WorkCalendar
from pstdesk.supervision.models import ExceptionKind, RosterException, RosterShift, SupervisionSettings


def minimum_for(standard: Any, settings: SupervisionSettings | None) -> int:
    """The office's minimum number of officers on duty: its standard's, when the standard states one (Tabanan: 2);
    else the office's own setting; else none (0). Nothing is claimed in the name of a standard that is silent."""
    if standard is not None and standard.min_officers:
        return int(standard.min_officers)
    if settings is not None and settings.min_officers:
        return int(settings.min_officers)
    return 0


def _within(moment: time, starts: time | None, ends: time | None) -> bool:
    return (starts is None or starts <= moment) and (ends is None or moment < ends)


def rostered_at(
    cal: WorkCalendar,
    at: datetime,
    shifts: Iterable[RosterShift],
    exceptions: Iterable[RosterException],
) -> set[int]:
    """The user ids the roster puts on duty at `at`: nobody while the office is closed (night, weekend, holiday,
    cuti bersama, closure); else the weekly shifts of that weekday covering the time, minus those with an "off"
    exception that date, plus those with an "on" exception covering the time."""
    if not workdays.is_open(cal, at):
        return set()
    local = at.astimezone(cal.zone)
    day, moment = local.date(), local.time()
    on = {s.user_id for s in shifts if s.weekday == day.weekday() and _within(moment, s.starts, s.ends)}
    for e in exceptions:
        if e.date != day:
            continue
        if e.kind == ExceptionKind.OFF:
            on.discard(e.user_id)
        elif _within(moment, e.starts, e.ends):
            on.add(e.user_id)
    return on


@dataclass
class Slot:
    """One hour of service on one day: who the roster puts on duty and whether that is below the minimum."""

    starts: datetime
    officers: int
    below: bool


@dataclass
class CoverageDay:
    day: date
    closed: bool
    name: str = ""
    slots: list[Slot] = field(default_factory=list)

    @property
    def below(self) -> bool:
        return any(slot.below for slot in self.slots)


def coverage(
    cal: WorkCalendar,
    start: date,
    days: int,
    shifts: Sequence[RosterShift],
    exceptions: Sequence[RosterException],
    minimum: int,
) -> list[CoverageDay]:
    """The roster's coverage hour by hour for `days` days from `start`: each hour of service hours (the last one
    may be shorter) with the number of officers rostered at its start and at its middle (the smaller counts), and
    whether that is below `minimum`. Closed days are listed with their reason and no slots."""
    out = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if not workdays.is_working_day(cal, day):
            out.append(CoverageDay(day, True, cal.holiday_names.get(day, "")))
            continue
        opening, closing = workdays.opening_time(cal, day), workdays.closing_time(cal, day)
        slots = []
        moment = opening
        while moment < closing:
            end = min(moment + timedelta(hours=1), closing)
            middle = moment + (end - moment) / 2
            count = min(
                len(rostered_at(cal, moment, shifts, exceptions)), len(rostered_at(cal, middle, shifts, exceptions))
            )
            slots.append(Slot(moment, count, count < minimum))
            moment = end
        out.append(CoverageDay(day, False, "", slots))
    return out
