"""The clock cannot be dodged (docs/sla.md): it runs from the request's arrival once the requirements are
complete, whether or not an officer marks the request clear; only a clarification question asked within the
first-response target moves its start to the visitor's answer."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps

from pstdesk.audit.models import AuditLog
from pstdesk.complaints.actions import detect_breaches
from pstdesk.complaints.models import Breach, BreachKind
from pstdesk.consultations.actions import ask_clarification, mark_request_clear, receive_message
from pstdesk.consultations.models import Consultation, Status
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.guestbook.actions import identify_visitor
from pstdesk.lib.actors import ChannelActor
from pstdesk.lib.errors import InvalidTransition, NotAllowed

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db


def wita(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WITA)


@pytest.fixture
def visitor(office_5102: Any) -> Any:
    found = identify_visitor(name="Putu", email="putu@example.test", by=ChannelActor("test"))
    return complete_requirements(found, "5102")


def _write(visitor: Any, at: datetime, body: str = "Saya butuh data kemiskinan Tabanan 2025") -> Consultation:
    with time_machine.travel(at, tick=False):
        received = receive_message(make_inbound(visitor_id=visitor.pk, body=body))
    return Consultation.objects.get(pk=received.consultation.pk)


def test_a_request_nobody_marks_clear_gets_a_deadline_and_breaches(visitor: Any) -> None:
    c = _write(visitor, wita(23, 10))  # Monday 10:00 WITA, requirements complete
    assert c.status == Status.NEW and c.request_clear_at is None  # no officer accepted it
    assert c.request_received_at == wita(23, 10)
    assert c.sla_started_at == wita(23, 10)
    assert c.due_at == wita(26, 16)  # Thursday's closing, 3 working days after day 0
    detect_breaches(wita(26, 15, 59))  # records the first-response breach (nobody replied) only
    assert not Breach.objects.filter(consultation=c, kind=BreachKind.RESOLUTION).exists()
    detect_breaches(wita(26, 16, 1))
    breach = Breach.objects.get(consultation=c, kind=BreachKind.RESOLUTION)
    assert breach.due_at == wita(26, 16)
    c.refresh_from_db()
    assert c.breached_at == wita(26, 16, 1)


def test_marking_clear_late_does_not_move_the_clock(visitor: Any, officer_5102: Any) -> None:
    c = _write(visitor, wita(23, 10))
    with time_machine.travel(wita(25, 9), tick=False):  # Wednesday: the officer accepts it only now
        mark_request_clear(c, by=officer_5102)
    c.refresh_from_db()
    assert c.status == Status.OPEN and c.sla_started_at == wita(23, 10) and c.due_at == wita(26, 16)


def test_a_clarification_question_in_time_starts_the_clock_at_the_visitors_answer(
    visitor: Any, officer_5102: Any
) -> None:
    c = _write(visitor, wita(23, 10), body="Halo")
    assert c.first_response_due_at == wita(23, 12)
    with time_machine.travel(wita(23, 10, 30), tick=False):
        question = ask_clarification(c, by=officer_5102, body="Data apa yang Anda perlukan, untuk tahun berapa?")
    c.refresh_from_db()
    assert question.payload == {"clarification": True} and c.first_response_at == wita(23, 10, 30)
    assert c.clarification_asked_at == wita(23, 10, 30)
    assert c.sla_started_at is None and c.due_at is None  # waiting on the visitor is not counted
    detect_breaches(wita(27, 17))
    assert not Breach.objects.filter(consultation=c, kind=BreachKind.RESOLUTION).exists()
    # The visitor answers on Tuesday morning: the clock starts then.
    answered = _write(visitor, wita(24, 9), body="Data kemiskinan Tabanan 2025")
    assert answered.pk == c.pk
    assert answered.clarification_answered_at == wita(24, 9)
    assert answered.sla_started_at == wita(24, 9) and answered.due_at == wita(27, 16, 30)  # Friday closes 16:30
    audit = AuditLog.objects.get(verb="consultation.clarification_answered", subject_id=str(c.pk))
    assert audit.actor_label == f"visitor:{visitor.pk}" and audit.after["due_at"] is not None
    # A later message changes nothing.
    again = _write(visitor, wita(24, 10), body="Terima kasih")
    assert again.clarification_answered_at == wita(24, 9) and again.due_at == wita(27, 16, 30)


def test_a_clarification_cannot_dodge_the_clock_late_or_twice(visitor: Any, officer_5102: Any) -> None:
    c = _write(visitor, wita(23, 10), body="Halo")
    with time_machine.travel(wita(23, 12, 1), tick=False), pytest.raises(NotAllowed):
        ask_clarification(c, by=officer_5102, body="Data apa?")
    c.refresh_from_db()
    assert c.clarification_asked_at is None and c.due_at == wita(26, 16)

    other = identify_visitor(name="Komang", email="komang@example.test", by=ChannelActor("test"))
    complete_requirements(other, "5102")
    d = _write(other, wita(23, 10), body="Halo")
    with time_machine.travel(wita(23, 10, 5), tick=False):
        ask_clarification(d, by=officer_5102, body="Data apa?")
    _write(other, wita(23, 10, 10), body="PDRB")
    d.refresh_from_db()
    assert d.sla_started_at == wita(23, 10, 10)
    with time_machine.travel(wita(23, 10, 20), tick=False), pytest.raises(InvalidTransition):
        ask_clarification(d, by=officer_5102, body="Tahun berapa?")
    d.refresh_from_db()
    assert d.sla_started_at == wita(23, 10, 10) and d.due_at == wita(26, 16)


def test_the_data_migration_gives_old_consultations_a_deadline(visitor: Any) -> None:
    c = _write(visitor, wita(23, 10))
    # As a consultation looked before the rule: no arrival recorded and, never marked clear, no clock.
    Consultation.objects.filter(pk=c.pk).update(request_received_at=None, sla_started_at=None, due_at=None)
    migration = importlib.import_module(
        "pstdesk.consultations.migrations.0004_deadlines_for_requests_never_marked_clear"
    )
    migration.forwards(apps, None)
    c.refresh_from_db()
    assert c.request_received_at == c.created_at == wita(23, 10)
    assert c.sla_started_at == wita(23, 10) and c.due_at == wita(26, 16)
