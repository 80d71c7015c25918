"""The procedure through the actions, for both closing orders; every refused transition changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from pstdesk.audit.models import AuditLog
from pstdesk.consultations import actions
from pstdesk.consultations.models import Consultation, Message, Status
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.consultations.transitions import TRANSITIONS, allowed_actions, check_transition
from pstdesk.lib.actors import VisitorActor
from pstdesk.lib.errors import AlreadyRated, InvalidInput, InvalidTransition, NotAllowed
from pstdesk.offices.models import ClosingOrder
from pstdesk.ratings.actions import record_rating
from pstdesk.ratings.models import Rating

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_hours():
    with time_machine.travel("2026-03-10 02:00:00+00:00", tick=True):
        yield


def open_consultation(office: str, officer) -> Consultation:
    channel = "whatsapp"
    c = actions.receive_message(make_inbound(office=office, channel=channel)).consultation
    complete_requirements(c.visitor, office)
    actions.refresh_requirements(c, by=officer)
    actions.mark_request_clear(c, by=officer)
    assert c.status == Status.OPEN
    return c


def assert_refused(c: Consultation, fn, *args, error=InvalidTransition, **kwargs) -> str:
    """The call raises a clear error, and neither the row, the messages nor the audit trail change."""
    before_row = Consultation.objects.filter(pk=c.pk).values().get()
    audits = AuditLog.objects.count()
    messages = Message.objects.count()
    ratings = Rating.objects.count()
    with pytest.raises(error) as info:
        fn(c, *args, **kwargs)
    assert info.value.message
    assert Consultation.objects.filter(pk=c.pk).values().get() == before_row
    assert AuditLog.objects.count() == audits
    assert Message.objects.count() == messages
    assert Rating.objects.count() == ratings
    return info.value.message


def test_table_covers_both_orders():
    assert TRANSITIONS[ClosingOrder.RATE_THEN_CLOSE][(Status.RATED, "close")] == Status.CLOSED
    assert (Status.ANSWERED, "close") not in TRANSITIONS[ClosingOrder.RATE_THEN_CLOSE]
    assert TRANSITIONS[ClosingOrder.CLOSE_THEN_RATE][(Status.ANSWERED, "close")] == Status.CLOSED
    assert TRANSITIONS[ClosingOrder.CLOSE_THEN_RATE][(Status.CLOSED, "record_rating")] == Status.CLOSED
    assert "request_rating" in allowed_actions(Status.ANSWERED, ClosingOrder.RATE_THEN_CLOSE)
    assert "request_rating" not in allowed_actions(Status.ANSWERED, ClosingOrder.CLOSE_THEN_RATE)


def test_5102_rate_then_close(officer_5102, events, commit, fake_adapter):
    c = open_consultation("5102", officer_5102)
    assert c.sla_started_at is not None and c.due_at is not None
    reply = commit(actions.post_reply, c, by=officer_5102, body="Data tersedia di tabel berikut.")
    assert reply.delivery_status == "pending"
    reply.refresh_from_db()
    assert reply.delivery_status == "sent" and reply.external_id == f"wamid.{reply.pk}"
    c.refresh_from_db()
    assert c.first_response_at is not None
    # Closing or rating before the answer is refused, with a message saying why.
    assert "dijawab" in assert_refused(c, actions.close_consultation, by=officer_5102)
    actions.set_topic(c, by=officer_5102, topic="data", subject="Kemiskinan")
    actions.mark_answered(c, by=officer_5102)
    assert c.status == Status.ANSWERED and c.answered_at
    assert "penilaian" in assert_refused(c, actions.close_consultation, by=officer_5102)
    commit(actions.request_rating, c, by=officer_5102)
    assert c.status == Status.AWAITING_RATING
    rating_request = Message.objects.filter(consultation=c, payload__rating_request=True).get()
    assert rating_request.is_automatic
    assert_refused(c, actions.close_consultation, by=officer_5102)
    rating = record_rating(c, by=VisitorActor(c.visitor_id), score=5, feedback="Cepat", channel="whatsapp")
    assert rating.score == 5
    c.refresh_from_db()
    assert c.status == Status.RATED and c.rated_at
    assert_refused(c, record_rating, by=VisitorActor(1), score=4, channel="whatsapp", error=AlreadyRated)
    commit(actions.close_consultation, c, by=officer_5102)
    assert c.status == Status.CLOSED and c.closed_at
    verbs = list(
        AuditLog.objects.filter(subject_id=str(c.pk), subject_type="consultations.consultation").values_list(
            "verb", flat=True
        )
    )
    assert {"consultation.answered", "consultation.rating_requested", "consultation.closed"} <= set(verbs)
    assert AuditLog.objects.filter(verb="rating.recorded").count() == 1
    assert any(e["type"] == "consultation.updated" and e["status"] == "closed" for _g, e in events)


def test_5101_close_then_rate(officer_5101, fake_adapter, commit):
    c = open_consultation("5101", officer_5101)
    actions.mark_answered(c, by=officer_5101)
    message = assert_refused(c, record_rating, by=VisitorActor(1), score=4, channel="email")
    assert "tutup" in message
    assert_refused(c, actions.request_rating, by=officer_5101)
    commit(actions.close_consultation, c, by=officer_5101)
    assert c.status == Status.CLOSED and c.rating_requested_at is not None
    request = Message.objects.get(consultation=c, payload__rating_request=True)
    request.refresh_from_db()
    assert request.delivery_status == "sent"  # the rating request goes out after closing
    record_rating(c, by=VisitorActor(1), score=4, gratuity=False, illegal_fee=False, channel="email")
    c.refresh_from_db()
    assert c.status == Status.CLOSED and c.rated_at is not None
    assert_refused(c, record_rating, by=VisitorActor(1), score=3, channel="email", error=AlreadyRated)


def test_5102_close_without_rating_waits_or_needs_a_supervisor(officer_5102, supervisor_5102):
    c = open_consultation("5102", officer_5102)
    actions.mark_answered(c, by=officer_5102)
    actions.request_rating(c, by=officer_5102)
    assert_refused(c, actions.close_consultation, by=officer_5102, without_rating=True, error=NotAllowed)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        actions.close_consultation(c, by=officer_5102, without_rating=True)
    assert c.status == Status.CLOSED
    other = open_consultation("5102", officer_5102)
    actions.mark_answered(other, by=officer_5102)
    actions.request_rating(other, by=officer_5102)
    actions.close_consultation(other, by=supervisor_5102, without_rating=True)
    assert other.status == Status.CLOSED


def test_refused_inputs_change_nothing(officer_5102):
    c = open_consultation("5102", officer_5102)
    assert_refused(c, actions.set_topic, by=officer_5102, topic="gossip", error=InvalidInput)
    assert_refused(c, actions.post_reply, by=officer_5102, body="   ", error=InvalidInput)
    assert_refused(c, actions.post_reply, by=officer_5102, body="x" * 5000, error=InvalidInput)
    assert_refused(c, actions.mark_request_clear, by=officer_5102)
    assert_refused(c, record_rating, by=VisitorActor(1), score=9, channel="whatsapp", error=InvalidInput)
    assert_refused(c, actions.reopen_consultation, by=officer_5102)


def test_closed_consultation_refuses_replies(officer_5102):
    c = open_consultation("5102", officer_5102)
    actions.mark_answered(c, by=officer_5102)
    record_rating(c, by=VisitorActor(1), score=5, channel="whatsapp")  # spontaneous rating from answered
    actions.close_consultation(c, by=officer_5102)
    assert "ditutup" in assert_refused(c, actions.post_reply, by=officer_5102, body="halo")
    assert_refused(c, actions.mark_answered, by=officer_5102)


def test_stale_instance_is_checked_against_the_current_status(officer_5102):
    c = open_consultation("5102", officer_5102)
    stale = Consultation.objects.get(pk=c.pk)
    actions.mark_answered(c, by=officer_5102)
    with pytest.raises(InvalidTransition):
        actions.mark_answered(stale, by=officer_5102)


def test_check_transition_message_is_clear():
    c = Consultation(status=Status.NEW)
    with pytest.raises(InvalidTransition) as info:
        check_transition(c, "answer", closing_order=ClosingOrder.RATE_THEN_CLOSE)
    assert "belum terbuka" in info.value.message


def test_note_is_internal(officer_5102, events, commit):
    c = open_consultation("5102", officer_5102)
    note = commit(actions.add_note, c, by=officer_5102, body="Cek tabel SUSENAS")
    assert note.kind == "note" and note.delivery_status == ""
    groups = [g for g, e in events if e["type"] == "message.created" and e["seq"] == note.seq]
    assert groups == [["office.5102"]]
    assert AuditLog.objects.filter(verb="message.note").count() == 1


def test_canned_reply_renders_placeholders(officer_5102):
    from pstdesk.consultations.models import CannedReply

    c = open_consultation("5102", officer_5102)
    body = "Halo {visitor_name}, {unknown} dari {office_name}"
    reply = CannedReply.objects.create(office_id="5102", title="Salam", body=body)
    text = actions.render_canned_reply(reply, c, officer=officer_5102)
    assert text.startswith("Halo Putu, {unknown} dari ") and c.office.name in text
