"""The monthly and annual reports on schedule: from 08.00 office time on the first working day of a month, the
previous month's report of every office is stored and e-mailed to its service managers (an office with offices
below it gets the report of its subtree); in January also the previous year's. Each (office, kind, period) is
claimed once (`ScheduledRun`), so several workers waking together send it once. A run that missed the hour (the
workers were down) catches up later the same month.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from pstdesk.lib import workdays
from pstdesk.lib.actors import SystemActor
from pstdesk.offices.calendar import CalendarNotConfigured, calendar_for, national_holidays
from pstdesk.offices.models import Office
from pstdesk.reports.actions import send_report, store_report
from pstdesk.reports.models import ReportKind, ScheduledRun
from pstdesk.reports.periods import Period, month, year

SEND_AT = time(8, 0)
# A claim older than this without a finish belongs to a worker that died: another may take it over.
STALE_CLAIM = timedelta(hours=1)
ACTOR = SystemActor("reports")


def first_working_day(office: Office, first_of_month: date) -> date:
    """The office's first working day of the month (its own calendar, else its nearest ancestor's, else Monday to
    Friday without national holidays)."""
    years = (first_of_month.year - 1, first_of_month.year, first_of_month.year + 1)
    candidate: Office | None = office
    while candidate is not None:
        try:
            cal = calendar_for(candidate, years=years)
            break
        except CalendarNotConfigured:
            candidate = candidate.parent
    else:
        hours = {d: ((time(8), time(16)) if d < 5 else None) for d in range(7)}
        cal = workdays.WorkCalendar(
            zone=ZoneInfo(office.timezone), hours=hours, holidays=frozenset(national_holidays(years)), years=None
        )
    day = first_of_month
    while not workdays.is_working_day(cal, day):
        day += timedelta(days=1)
    return day


def due_reports(office: Office, now: datetime) -> list[tuple[str, Period]]:
    """The scheduled reports of `office` that are due at `now` (on or after 08.00 of the month's first working
    day, office time)."""
    local = now.astimezone(ZoneInfo(office.timezone))
    first = local.date().replace(day=1)
    send_from = datetime.combine(first_working_day(office, first), SEND_AT, tzinfo=local.tzinfo)
    if local < send_from:
        return []
    previous = first - timedelta(days=1)
    due = [(ReportKind.MONTHLY.value, month(previous.year, previous.month))]
    if first.month == 1:
        due.append((ReportKind.ANNUAL.value, year(previous.year)))
    return due


def claim(office: Office, kind: str, period: Period, now: datetime) -> ScheduledRun | None:
    """Claim one scheduled report; None when another worker has it (or it was done)."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(office=office, kind=kind, period_start=period.first, claimed_at=now)
    except IntegrityError:
        pass
    taken = ScheduledRun.objects.filter(
        office=office, kind=kind, period_start=period.first, finished_at__isnull=True, claimed_at__lt=now - STALE_CLAIM
    ).update(claimed_at=now)
    if taken != 1:
        return None
    return ScheduledRun.objects.get(office=office, kind=kind, period_start=period.first)


def run_scheduled_reports(now: datetime | None = None) -> int:
    """Store and send every report due now that no worker has claimed. Returns how many this call sent."""
    now = now or timezone.now()
    done = 0
    offices = list(Office.objects.select_related("parent").order_by("path"))
    parents = {o.parent_id for o in offices if o.parent_id}
    claimed = set(
        ScheduledRun.objects.filter(finished_at__isnull=False).values_list("office_id", "kind", "period_start")
    )
    for office in offices:
        for kind, period in due_reports(office, now):
            if (office.code, kind, period.first) in claimed:
                continue
            run = claim(office, kind, period, now)
            if run is None:
                continue
            snapshot = store_report(office, period=period, kind=kind, subtree=office.code in parents, by=ACTOR)
            send_report(snapshot, by=ACTOR)
            ScheduledRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), snapshot=snapshot)
            done += 1
    return done
