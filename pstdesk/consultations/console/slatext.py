"""The SLA of one consultation in plain words for the console: "lewat 2 hari kerja", "jatuh tempo Kamis 16.00 WITA".

Pure apart from translation: the caller passes the consultation's timestamps, the office calendar and now. The clock
stops at the answer (the standard's promise is the statistical information within N working days: `answered_at`
is what the SLA measures) and at closing, so an answered or closed consultation says how the promise ended
instead of counting on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import dateformat
from django.utils.translation import gettext as _

from pstdesk.lib import workdays
from pstdesk.lib.workdays import CalendarRangeError, WorkCalendar


@dataclass(frozen=True)
class SlaText:
    text: str  # the short words of the list
    level: str  # none | ok | soon | over | met | late
    due: str  # the due moment in office time ("Kamis, 18 Desember 2026 16.00 WITA"), "" without a clock


def _clock(local: datetime) -> str:
    return f"{dateformat.format(local, 'H.i')} {local.tzname()}"


def due_moment(due: datetime, cal: WorkCalendar) -> str:
    local = due.astimezone(cal.zone)
    return f"{dateformat.format(local, 'l, j F Y')} {_clock(local)}"


def _late_by(cal: WorkCalendar, due: datetime, at: datetime) -> str:
    """How late `at` is after `due`, in working days when a working day has passed, else in hours."""
    due_day, at_day = due.astimezone(cal.zone).date(), at.astimezone(cal.zone).date()
    try:
        days = workdays.working_days_between(cal, due_day, at_day)
    except CalendarRangeError:  # beyond the years the holidays are known for: count calendar days
        days = (at_day - due_day).days
    if days >= 1:
        return _("%(n)s hari kerja") % {"n": days}
    hours = max(1, int((at - due) / timedelta(hours=1)))
    return _("%(n)s jam") % {"n": hours}


def sla_text(
    *,
    due_at: datetime | None,
    answered_at: datetime | None,
    closed_at: datetime | None,
    now: datetime,
    cal: WorkCalendar,
) -> SlaText:
    if due_at is None:
        if closed_at is not None:
            return SlaText(_("selesai"), "met", "")
        return SlaText(_("belum berjalan"), "none", "")
    due = due_moment(due_at, cal)
    stopped = answered_at or closed_at
    if stopped is not None:
        if stopped <= due_at:
            return SlaText(_("terjawab tepat waktu") if answered_at else _("selesai tepat waktu"), "met", due)
        late = _late_by(cal, due_at, stopped)
        if answered_at:
            return SlaText(_("terjawab terlambat %(late)s") % {"late": late}, "late", due)
        return SlaText(_("selesai terlambat %(late)s") % {"late": late}, "late", due)
    if now > due_at:
        return SlaText(_("lewat %(late)s") % {"late": _late_by(cal, due_at, now)}, "over", due)
    local, today = due_at.astimezone(cal.zone), now.astimezone(cal.zone).date()
    if local.date() == today:
        return SlaText(_("jatuh tempo hari ini %(time)s") % {"time": _clock(local)}, "soon", due)
    if local.date() == today + timedelta(days=1):
        return SlaText(_("jatuh tempo besok %(time)s") % {"time": _clock(local)}, "ok", due)
    if local.date() < today + timedelta(days=7):
        day = dateformat.format(local, "l")
        return SlaText(_("jatuh tempo %(day)s %(time)s") % {"day": day, "time": _clock(local)}, "ok", due)
    day = dateformat.format(local, "l j M")
    return SlaText(_("jatuh tempo %(day)s %(time)s") % {"day": day, "time": _clock(local)}, "ok", due)
