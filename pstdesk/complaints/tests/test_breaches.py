"""Breach detection and recording: found by one query, recorded once, escalated, and turned into a compensation
case with nobody acting."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command

from pstdesk.audit.models import AuditLog
from pstdesk.complaints.actions import detect_breaches, overdue_resolution, record_breach
from pstdesk.complaints.models import Breach, BreachKind, Compensation, CompensationStatus
from pstdesk.complaints.tests.factories import make_consultation
from pstdesk.consultations.models import Consultation, Status
from pstdesk.lib.errors import InvalidInput

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db


def wita(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=WITA)


START = wita(2026, 11, 23, 10)  # due Thu 2026-11-26 16:00 WITA (5102)
AFTER_DUE = wita(2026, 11, 26, 16, 1)


def test_record_breach_claims_once_and_opens_a_case(
    office_5102: object,
    officer_5102: object,
    supervisor_5102: object,
    manager_5102: object,
    django_capture_on_commit_callbacks: object,
) -> None:
    c = make_consultation("5102", started=START, assigned_to=officer_5102)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        breach = record_breach(c, kind=BreachKind.RESOLUTION, now=AFTER_DUE)
    assert breach is not None and breach.due_at == wita(2026, 11, 26, 16)
    c.refresh_from_db()
    assert c.breached_at == AFTER_DUE
    case = Compensation.objects.get()
    assert case.breach == breach and case.consultation == c and case.status == CompensationStatus.OPEN
    assert case.opened_by_label == "system:sla"
    audit = AuditLog.objects.get(verb="consultation.breached")
    assert audit.actor_label == "system:sla" and audit.after["kind"] == "resolution"
    assert AuditLog.objects.filter(verb="compensation.opened", subject_id=str(case.pk)).exists()
    # No e-mail per breach: the supervisors get the office's daily digest (test_breach_digest.py).
    assert len(mail.outbox) == 0
    assert "2026-11-26T08:00" not in case.reason and "26-11-2026 16.00 WITA" in case.reason
    # A second call (another worker) records nothing.
    assert record_breach(c, kind=BreachKind.RESOLUTION, now=AFTER_DUE + timedelta(minutes=1)) is None
    assert Breach.objects.count() == 1 and Compensation.objects.count() == 1


def test_not_overdue_is_not_recorded(office_5102: object) -> None:
    c = make_consultation("5102", started=START)
    assert record_breach(c, kind=BreachKind.RESOLUTION, now=wita(2026, 11, 26, 15, 59)) is None
    Consultation.objects.filter(pk=c.pk).update(answered_at=wita(2026, 11, 26, 15), status=Status.ANSWERED)
    assert record_breach(c, kind=BreachKind.RESOLUTION, now=AFTER_DUE) is None
    assert not Breach.objects.exists() and not AuditLog.objects.filter(verb="consultation.breached").exists()
    with pytest.raises(InvalidInput):
        record_breach(c, kind="late", now=AFTER_DUE)


def test_detect_breaches_finds_each_kind(office_5102: object, office_5101: object) -> None:
    late = make_consultation("5102", started=START)
    answered_late = make_consultation("5102", started=START)
    Consultation.objects.filter(pk=answered_late.pk).update(answered_at=wita(2026, 11, 27, 9))
    in_time = make_consultation("5102", started=START)
    Consultation.objects.filter(pk=in_time.pk).update(answered_at=wita(2026, 11, 24, 9), first_response_at=START)
    closed_early = make_consultation("5102", started=START, status=Status.CLOSED)
    Consultation.objects.filter(pk=closed_early.pk).update(closed_at=wita(2026, 11, 24, 9), first_response_at=START)
    not_yet = make_consultation("5101", started=wita(2026, 11, 26, 10))  # due Tue 1 Dec

    assert set(overdue_resolution(AFTER_DUE).values_list("pk", flat=True)) == {late.pk, answered_late.pk}
    recorded = detect_breaches(AFTER_DUE)
    kinds = set(Breach.objects.values_list("consultation_id", "kind"))
    assert (late.pk, BreachKind.RESOLUTION) in kinds and (answered_late.pk, BreachKind.RESOLUTION) in kinds
    # Nobody answered `late` within 120 working minutes either: a first-response breach, with no case.
    assert (late.pk, BreachKind.FIRST_RESPONSE) in kinds
    assert not {pk for pk, _ in kinds} & {in_time.pk, closed_early.pk}
    assert recorded == len(kinds)
    assert Compensation.objects.count() == 2  # resolution breaches only
    assert detect_breaches(AFTER_DUE + timedelta(hours=1)) == 0  # nothing twice
    assert (not_yet.pk, BreachKind.RESOLUTION) not in kinds


def test_first_response_breach(office_5102: object) -> None:
    c = make_consultation("5102", started=START)
    assert c.first_response_due_at == wita(2026, 11, 23, 12)
    assert record_breach(c, kind=BreachKind.FIRST_RESPONSE, now=wita(2026, 11, 23, 11)) is None
    breach = record_breach(c, kind=BreachKind.FIRST_RESPONSE, now=wita(2026, 11, 23, 12, 1))
    assert breach is not None and breach.due_at == wita(2026, 11, 23, 12)
    c.refresh_from_db()
    assert c.breached_at is None  # the resolution deadline is still ahead
    assert record_breach(c, kind=BreachKind.FIRST_RESPONSE, now=wita(2026, 11, 23, 13)) is None
    assert not Compensation.objects.exists()


def test_worker_command_once(office_5102: object) -> None:
    make_consultation("5102", started=wita(2020, 11, 23, 10))  # long overdue
    out = StringIO()
    call_command("run_sla_worker", "--once", stdout=out)
    assert "recorded 2" in out.getvalue()
    assert Breach.objects.count() == 2 and Compensation.objects.count() == 1


def test_periodic_task_runs_the_detection(office_5102: object) -> None:
    from pstdesk.complaints.tasks import detect_sla_breaches

    make_consultation("5102", started=wita(2020, 11, 23, 10))
    detect_sla_breaches.call_local()
    assert Breach.objects.filter(kind=BreachKind.RESOLUTION).count() == 1


def test_a_reopened_consultation_runs_a_new_clock(office_5102: object) -> None:
    """A breach of the clock before a reopening does not stop the new clock from being recorded."""
    from pstdesk.consultations.sla import sla_fields_for

    c = make_consultation("5102", started=START)
    assert record_breach(c, kind=BreachKind.RESOLUTION, now=AFTER_DUE) is not None
    # Reopened (as consultations.actions.reopen_consultation does) and marked clear again a week later.
    restart = wita(2026, 12, 7, 10)
    c.refresh_from_db()
    c.request_clear_at = c.requirements_complete_at = restart
    c.first_response_at = restart
    for name, value in sla_fields_for(c).items():
        if name != "first_response_due_at":
            setattr(c, name, value)
    c.save()
    assert c.due_at == wita(2026, 12, 10, 16)
    assert not overdue_resolution(wita(2026, 12, 10, 15)).filter(pk=c.pk).exists()
    second = record_breach(c, kind=BreachKind.RESOLUTION, now=wita(2026, 12, 10, 16, 5))
    assert second is not None and second.due_at == wita(2026, 12, 10, 16)
    assert Breach.objects.filter(consultation=c, kind=BreachKind.RESOLUTION).count() == 2
    assert Compensation.objects.filter(consultation=c).count() == 2
    assert record_breach(c, kind=BreachKind.RESOLUTION, now=wita(2026, 12, 10, 17)) is None
