"""Escalation up the office tree: a resolution breach whose consultation stays unanswered and open, or a rating
alert (low score, gratuity, illegal fee) that no supervisor has decided, for `ESCALATION_WORKING_DAYS` working days
(of its office) goes to the supervisors of the parent office, and after twice that to the parent's parent
(province, then BPS RI). Each step is claimed by inserting an `Escalation` row, unique on (breach, level) or
(rating alert, level): any number of workers escalate each step exactly once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from pstdesk.accounts.models import User
from pstdesk.audit.actions import record
from pstdesk.complaints.models import Breach, BreachKind
from pstdesk.consultations.models import Status
from pstdesk.lib import workdays
from pstdesk.lib.actors import SystemActor
from pstdesk.lib.events import office_group, publish_on_commit, user_group
from pstdesk.ratings.models import AlertStatus, RatingAlert
from pstdesk.supervision.models import Escalation
from pstdesk.supervision.queues import calendars_for

log = logging.getLogger(__name__)

ESCALATOR = SystemActor("escalation")


def working_days_setting() -> int:
    """The configured number of working days per escalation step (settings.ESCALATION_WORKING_DAYS, default 2)."""
    return max(1, int(getattr(settings, "ESCALATION_WORKING_DAYS", 2)))


def _ancestors(office: Any) -> list[str]:
    """The codes above the office, nearest first (from the materialised path, no query)."""
    return [code for code in office.path.strip("/").split("/") if code and code != office.pk][::-1]


def escalate_breaches(now: datetime | None = None) -> int:
    """Escalate every open resolution breach that is due a step now. Returns the number of steps taken here."""
    now = now or timezone.now()
    days = working_days_setting()
    breaches = list(
        Breach.objects.filter(
            kind=BreachKind.RESOLUTION,
            detected_at__lte=now - timedelta(days=days),  # a working day is at least a calendar day
            consultation__answered_at__isnull=True,
        )
        .exclude(consultation__status=Status.CLOSED)
        .select_related("office", "consultation")
        .order_by("detected_at")[:1000]
    )
    if not breaches:
        return 0
    zones = {b.office_id: b.office.timezone for b in breaches}
    cals = calendars_for(zones, zones, now)
    taken = 0
    for breach in breaches:
        cal = cals.get(breach.office_id)
        if cal is None:
            continue
        ancestors = _ancestors(breach.office)
        for level in range(1, min(_whole_working_days(cal, breach.detected_at, now) // days, len(ancestors)) + 1):
            if _escalate(breach, level=level, to_code=ancestors[level - 1], now=now):
                taken += 1
    return taken


def _whole_working_days(cal: Any, since: datetime, now: datetime) -> int:
    """The whole working days of the office from the day after `since` to now: today counts once it has closed."""
    start = since.astimezone(cal.zone).date()
    today = now.astimezone(cal.zone).date()
    if workdays.is_working_day(cal, today) and now < workdays.closing_time(cal, today):
        today -= timedelta(days=1)
    return workdays.working_days_between(cal, start, today) if today > start else 0


def escalate_rating_alerts(now: datetime | None = None) -> int:
    """Escalate every rating alert still undecided (no decision in its trail) that is due a step now, counted
    from when it was opened. Returns the number of steps taken here."""
    now = now or timezone.now()
    days = working_days_setting()
    alerts = list(
        RatingAlert.objects.filter(
            status=AlertStatus.OPEN,
            decisions__isnull=True,
            opened_at__lte=now - timedelta(days=days),  # a working day is at least a calendar day
        )
        .select_related("office")
        .order_by("opened_at")[:1000]
    )
    if not alerts:
        return 0
    zones = {a.office_id: a.office.timezone for a in alerts}
    cals = calendars_for(zones, zones, now)
    taken = 0
    for alert in alerts:
        cal = cals.get(alert.office_id)
        if cal is None:
            continue
        ancestors = _ancestors(alert.office)
        for level in range(1, min(_whole_working_days(cal, alert.opened_at, now) // days, len(ancestors)) + 1):
            if _escalate_alert(alert, level=level, to_code=ancestors[level - 1], now=now):
                taken += 1
    return taken


def _escalate_alert(alert: Any, *, level: int, to_code: str, now: datetime) -> bool:
    """Claim one step of an alert (insert the unique row) and, if this worker won it, audit and notify. The alert
    is locked and read again first, so a decision taken meanwhile stops the step (`decide_rating_alert` locks it
    too)."""
    try:
        with transaction.atomic():
            locked = RatingAlert.objects.select_for_update().filter(pk=alert.pk, status=AlertStatus.OPEN).first()
            if locked is None or locked.decisions.exists():
                return False
            escalation = Escalation.objects.create(
                rating_alert=locked,
                consultation_id=locked.consultation_id,
                level=level,
                from_office_id=locked.office_id,
                to_office_id=to_code,
                escalated_at=now,
            )
            record(
                "rating_alert.escalated",
                locked,
                by=ESCALATOR,
                office=alert.office,
                after={"level": level, "to_office": to_code, "escalation": escalation.pk},
            )
            _notify(
                to_code,
                {
                    "type": "rating.alert_escalated",
                    "office": locked.office_id,
                    "to_office": to_code,
                    "alert": locked.pk,
                    "consultation": locked.consultation_id,
                    "level": level,
                },
            )
    except IntegrityError:  # another worker took this step
        return False
    return True


def _notify(to_code: str, event: dict[str, Any]) -> None:
    """After commit: the event to the upper office's consoles and its staff above officer."""
    supervisors = User.objects.filter(office_id=to_code, is_active=True).exclude(role="officer")
    publish_on_commit(
        [office_group(to_code), *(user_group(pk) for pk in supervisors.values_list("pk", flat=True))], event
    )


def _escalate(breach: Any, *, level: int, to_code: str, now: datetime) -> bool:
    """Claim one step (insert the unique row) and, if this worker won it, audit and notify."""
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                breach=breach,
                consultation=breach.consultation,
                level=level,
                from_office=breach.office,
                to_office_id=to_code,
                escalated_at=now,
            )
            record(
                "breach.escalated",
                breach.consultation,
                by=ESCALATOR,
                office=breach.office,
                after={"breach": breach.pk, "level": level, "to_office": to_code, "escalation": escalation.pk},
            )
            _notify(
                to_code,
                {
                    "type": "breach.escalated",
                    "office": breach.office_id,
                    "to_office": to_code,
                    "consultation": breach.consultation_id,
                    "level": level,
                },
            )
    except IntegrityError:  # another worker took this step
        return False
    return True
