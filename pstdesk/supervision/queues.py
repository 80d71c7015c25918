"""The supervisor's queues (`/pengawasan/antrean/`) and the officers' deadline warnings, read with a constant
number of queries whatever the number of offices in scope: each queue is one bounded query over the scope, and the
working-time checks use calendars built for all the offices in the result at once (two queries)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from pstdesk.accounts.models import User
from pstdesk.consultations.models import Consultation, Status
from pstdesk.lib import workdays
from pstdesk.lib.workdays import WorkCalendar
from pstdesk.offices.calendar import national_holidays, years_for
from pstdesk.offices.models import OfficeClosure, ServiceStandard
from pstdesk.ratings.models import AlertStatus, RatingAlert
from pstdesk.supervision.models import Escalation

# Unassigned for longer than this many working minutes puts a consultation in the supervisor's queue.
UNASSIGNED_MINUTES = 30
# Warnings to the assigned officer before a deadline: one working day, and two working hours.
TWO_HOURS = 120
QUEUE_LIMIT = 100
# A deadline within one working day is at most this far in calendar time (a long weekend with holidays).
HORIZON = timedelta(days=10)


def calendars_for(codes: Iterable[str], timezones: dict[str, str], now: datetime) -> dict[str, WorkCalendar]:
    """The working calendars of several offices in two queries (their newest standards, their closures); offices
    without a standard are left out. Same rules as `offices.calendar.calendar_for`."""
    codes = sorted(set(codes))
    if not codes:
        return {}
    years = years_for(now)
    hours: dict[str, Any] = {}
    versions = ServiceStandard.objects.filter(office__in=codes).order_by("office", "version")
    for code, service_hours in versions.values_list("office", "service_hours"):
        hours[code] = service_hours  # the newest version wins
    national = national_holidays(years)
    closures: dict[str, dict[Any, str]] = {}
    for code, day, reason in OfficeClosure.objects.filter(office__in=codes, date__year__in=years).values_list(
        "office", "date", "reason"
    ):
        closures.setdefault(code, {})[day] = reason
    out = {}
    for code, raw in hours.items():
        names = dict(national)
        for day, reason in closures.get(code, {}).items():
            names.setdefault(day, reason)
        out[code] = WorkCalendar(
            zone=ZoneInfo(timezones.get(code, "Asia/Makassar")),
            hours=workdays.parse_service_hours(raw or {}),
            holidays=frozenset(names),
            years=frozenset(years),
            holiday_names=names,
        )
    return out


def day_minutes(cal: WorkCalendar, now: datetime) -> float:
    """The length in minutes of the next working day's service hours (one "working day" of warning)."""
    opening = workdays.next_opening(cal, now)
    day = opening.astimezone(cal.zone).date()
    return (workdays.closing_time(cal, day) - workdays.opening_time(cal, day)).total_seconds() / 60


def remaining_minutes(cal: WorkCalendar, now: datetime, due: datetime) -> float:
    """Working minutes from `now` to `due` (0 once it passed)."""
    if due <= now:
        return 0.0
    return workdays.working_minutes_between(cal, now, due)


@dataclass
class Queues:
    at_risk: list[Consultation] = field(default_factory=list)
    overdue: list[Consultation] = field(default_factory=list)
    unassigned: list[Consultation] = field(default_factory=list)
    waiting: list[Consultation] = field(default_factory=list)
    not_clear: list[Consultation] = field(default_factory=list)
    closed: list[Consultation] = field(default_factory=list)
    escalated: list[Consultation] = field(default_factory=list)
    escalated_alerts: list[Any] = field(default_factory=list)
    load: list[User] = field(default_factory=list)


def _rows(qs: QuerySet[Consultation]) -> QuerySet[Consultation]:
    return qs.select_related("office", "assigned_to", "visitor")


def supervision_queues(scope: QuerySet[Any], *, now: datetime | None = None) -> Queues:
    """The queues of the offices in `scope` (a queryset of offices, never evaluated here: it is a subquery)."""
    now = now or timezone.now()
    active = Consultation.objects.filter(office__in=scope).exclude(status=Status.CLOSED)
    unanswered = active.filter(answered_at__isnull=True)
    q = Queues()
    q.overdue = list(_rows(unanswered.filter(due_at__lt=now)).order_by("due_at")[:QUEUE_LIMIT])
    soon = list(_rows(unanswered.filter(due_at__gte=now, due_at__lt=now + HORIZON)).order_by("due_at")[:500])
    unassigned = list(
        _rows(
            active.filter(assigned_to__isnull=True, created_at__lt=now - timedelta(minutes=UNASSIGNED_MINUTES))
        ).order_by("created_at")[:500]
    )
    q.waiting = list(
        _rows(
            active.filter(
                Q(status__in=[Status.AWAITING_REQUIREMENTS, Status.AWAITING_RATING])
                | Q(clarification_asked_at__isnull=False, clarification_answered_at__isnull=True)
            )
        ).order_by("updated_at")[:QUEUE_LIMIT]
    )
    q.not_clear = list(
        _rows(
            active.filter(status__in=[Status.NEW, Status.AWAITING_REQUIREMENTS], request_clear_at__isnull=True)
        ).order_by("created_at")[:QUEUE_LIMIT]
    )
    q.closed = list(
        _rows(
            Consultation.objects.filter(office__in=scope, status=Status.CLOSED, closed_at__gte=now - timedelta(days=7))
        ).order_by("-closed_at")[:QUEUE_LIMIT]
    )

    escalated = (
        Escalation.objects.filter(to_office__in=scope, consultation__answered_at__isnull=True)
        .exclude(consultation__status=Status.CLOSED)
        .values("consultation")
    )
    q.escalated = list(_rows(Consultation.objects.filter(pk__in=escalated)).order_by("due_at")[:QUEUE_LIMIT])

    # rating alerts escalated to the scope and still undecided (one query: the escalation steps joined in)
    q.escalated_alerts = list(
        RatingAlert.objects.filter(
            status=AlertStatus.OPEN,
            pk__in=Escalation.objects.filter(to_office__in=scope, rating_alert__isnull=False).values("rating_alert"),
        )
        .select_related("office", "rating", "officer")
        .order_by("opened_at")[:QUEUE_LIMIT]
    )
    offices = {c.office_id: c.office.timezone for c in [*soon, *unassigned]}
    cals = calendars_for(offices, offices, now)
    for c in soon:
        cal = cals.get(c.office_id)
        assert c.due_at is not None
        if cal is not None and remaining_minutes(cal, now, c.due_at) <= day_minutes(cal, now):
            q.at_risk.append(c)
    for c in unassigned:
        cal = cals.get(c.office_id)
        if cal is None or workdays.working_minutes_between(cal, c.created_at, now) > UNASSIGNED_MINUTES:
            q.unassigned.append(c)
    q.at_risk, q.unassigned = q.at_risk[:QUEUE_LIMIT], q.unassigned[:QUEUE_LIMIT]
    q.load = list(
        User.objects.filter(office__in=scope, is_active=True)
        .select_related("office")
        .annotate(
            load=Count("assigned", filter=~Q(assigned__status=Status.CLOSED)),
            overdue=Count(
                "assigned",
                filter=~Q(assigned__status=Status.CLOSED) & Q(assigned__due_at__lt=now, assigned__answered_at=None),
            ),
        )
        .order_by("-load", "office", "username")[:200]
    )
    return q


@dataclass(frozen=True)
class DeadlineWarning:
    consultation: Consultation
    level: str  # "day" (within one working day) or "hours" (within two working hours)
    minutes: float


def deadline_warnings(user: Any, *, now: datetime | None = None) -> list[DeadlineWarning]:
    """The user's own consultations whose resolution deadline is within one working day (level "day") or two
    working hours (level "hours"), soonest first. Three queries."""
    now = now or timezone.now()
    rows = list(
        Consultation.objects.filter(
            assigned_to=user, answered_at__isnull=True, due_at__gte=now, due_at__lt=now + HORIZON
        )
        .exclude(status=Status.CLOSED)
        .select_related("office")
        .order_by("due_at")[:50]
    )
    offices = {c.office_id: c.office.timezone for c in rows}
    cals = calendars_for(offices, offices, now)
    out = []
    for c in rows:
        cal = cals.get(c.office_id)
        if cal is None or c.due_at is None:
            continue
        left = remaining_minutes(cal, now, c.due_at)
        if left <= TWO_HOURS:
            out.append(DeadlineWarning(c, "hours", left))
        elif left <= day_minutes(cal, now):
            out.append(DeadlineWarning(c, "day", left))
    return out
