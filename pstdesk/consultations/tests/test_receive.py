"""receive_message: idempotent intake, threading into the visitor's consultation, reopening and new ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from pstdesk.audit.models import AuditLog
from pstdesk.channels.base import InboundAttachment
from pstdesk.consultations.actions import receive_message
from pstdesk.consultations.models import Consultation, Message, Status
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound

pytestmark = pytest.mark.django_db

# A Tuesday inside Tabanan's service hours (10:00 WITA), so no out-of-hours reply interferes.
WORKING_TIME = "2026-03-10 02:00:00+00:00"


@pytest.fixture(autouse=True)
def _in_hours():
    with time_machine.travel(WORKING_TIME, tick=True):
        yield


def test_first_message_opens_a_consultation(events, commit):
    received = commit(receive_message, make_inbound(body="Halo, saya perlu data"))
    assert received.created
    c = received.consultation
    assert c.office_id == "5102" and c.channel == "whatsapp"
    assert c.status == Status.AWAITING_REQUIREMENTS  # guestbook etc. still missing
    assert received.message.seq == 1 and c.last_seq == 1
    assert received.message.direction == "in" and received.message.external_id
    c.refresh_from_db()
    assert c.last_inbound_at is not None and c.first_response_due_at is not None
    assert AuditLog.objects.filter(verb="consultation.opened", subject_id=str(c.pk)).exists()
    types = [event["type"] for _groups, event in events]
    assert "consultation.created" in types and "message.created" in types


def test_same_external_id_twice_stores_one_message(inbound):
    message = make_inbound(external_id="wamid.ABC")
    first = receive_message(message)
    second = receive_message(message)
    assert first.created and not second.created
    assert second.message.pk == first.message.pk
    assert Message.objects.filter(external_id="wamid.ABC").count() == 1
    assert Consultation.objects.count() == 1


def test_race_on_the_unique_key_returns_the_stored_row(monkeypatch):
    message = make_inbound(external_id="wamid.RACE")
    first = receive_message(message)
    # Simulate the loser of a race: the pre-check misses, the insert hits the unique constraint.
    from pstdesk.consultations.actions import intake

    calls = {"n": 0}
    real = intake._find_inbound

    def miss_once(inbound):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(inbound)

    monkeypatch.setattr(intake, "_find_inbound", miss_once)
    second = receive_message(message)
    assert not second.created and second.message.pk == first.message.pk
    assert Message.objects.count() == 1 and Consultation.objects.count() == 1


def test_next_message_threads_into_the_active_consultation():
    a = receive_message(make_inbound(body="satu"))
    b = receive_message(make_inbound(body="dua"))
    assert b.consultation.pk == a.consultation.pk
    assert [m.seq for m in Message.objects.filter(consultation=a.consultation)] == [1, 2]


def test_other_channel_or_office_is_another_consultation():
    a = receive_message(make_inbound())
    b = receive_message(make_inbound(channel="livechat_pfa", visitor_id=a.consultation.visitor_id))
    c = receive_message(make_inbound(office="5101"))
    assert len({a.consultation.pk, b.consultation.pk, c.consultation.pk}) == 3


def test_consultation_id_of_another_office_is_not_used():
    other = receive_message(make_inbound(office="5101"))
    mine = receive_message(make_inbound(office="5102", consultation_id=other.consultation.pk))
    assert mine.consultation.pk != other.consultation.pk
    assert mine.consultation.office_id == "5102"


def test_unknown_office_is_refused_and_nothing_is_stored():
    from pstdesk.lib.errors import InvalidInput

    with pytest.raises(InvalidInput):
        receive_message(make_inbound(office="9999"))
    assert Message.objects.count() == 0


def _closed_consultation(days_ago: int) -> Consultation:
    received = receive_message(make_inbound())
    c = received.consultation
    Consultation.objects.filter(pk=c.pk).update(
        status=Status.CLOSED, closed_at=timezone.now() - timedelta(days=days_ago), answered_at=timezone.now()
    )
    return c


def test_message_after_closing_reopens_within_reopen_days():
    c = _closed_consultation(days_ago=2)
    received = receive_message(make_inbound(body="pertanyaan lanjutan"))
    assert received.consultation.pk == c.pk
    c.refresh_from_db()
    assert c.reopened_count == 1 and c.status in (Status.NEW, Status.AWAITING_REQUIREMENTS)
    assert c.closed_at is None and c.request_clear_at is None
    assert AuditLog.objects.filter(verb="consultation.reopened", subject_id=str(c.pk)).exists()


def test_message_long_after_closing_starts_a_new_consultation():
    c = _closed_consultation(days_ago=30)  # seed reopen_days is 7
    received = receive_message(make_inbound(body="pertanyaan baru"))
    assert received.consultation.pk != c.pk
    c.refresh_from_db()
    assert c.status == Status.CLOSED


def test_requirements_complete_and_clear_opens_on_the_next_message(officer_5102):
    from pstdesk.consultations.actions import mark_request_clear

    first = receive_message(make_inbound())
    c = first.consultation
    mark_request_clear(c, by=officer_5102)
    complete_requirements(c.visitor, "5102")
    receive_message(make_inbound(body="sudah isi buku tamu"))
    c.refresh_from_db()
    assert c.status == Status.OPEN
    assert c.requirements_complete_at is not None and c.sla_started_at is not None and c.due_at is not None


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_inbound_attachments_are_validated_and_a_bad_one_is_kept_as_a_note_of_rejection():
    received = receive_message(
        make_inbound(
            attachments=(
                InboundAttachment("tabel.pdf", "application/pdf", PDF),
                InboundAttachment("virus.exe", "application/octet-stream", b"MZ\x90\x00"),
            )
        )
    )
    message = received.message
    assert [a.filename for a in message.attachments.all()] == ["tabel.pdf"]
    rejected = message.payload["rejected_attachments"]
    assert rejected[0]["filename"] == "virus.exe" and "tidak diterima" in rejected[0]["reason"]


def test_auto_assigns_an_officer_on_duty(officer_5102):
    received = receive_message(make_inbound())
    received.consultation.refresh_from_db()
    assert received.consultation.assigned_to_id == officer_5102.pk


def test_out_of_hours_reply_is_posted_as_an_automatic_message(monkeypatch):
    from pstdesk.consultations import out_of_hours

    calls = []

    def fake_reply(consultation, *, now, auto_submitted):
        calls.append(auto_submitted)
        return None if auto_submitted else "Di luar jam pelayanan."

    monkeypatch.setattr(out_of_hours, "out_of_hours_reply", fake_reply)
    received = receive_message(make_inbound())
    auto = Message.objects.filter(consultation=received.consultation, is_automatic=True).get()
    assert auto.body == "Di luar jam pelayanan." and auto.payload == {"out_of_hours": True}
    assert auto.delivery_status == "pending" and auto.seq == 2
    receive_message(make_inbound(auto_submitted=True))
    assert calls == [False, True]
    assert Message.objects.filter(is_automatic=True).count() == 1


def test_a_failing_follow_up_never_loses_the_message(monkeypatch):
    from pstdesk.consultations.actions import intake

    def broken(*args, **kwargs):
        raise RuntimeError("guestbook bug")

    monkeypatch.setattr(intake, "refresh_requirements", broken)
    received = receive_message(make_inbound(body="jangan hilang"))
    assert Message.objects.get(pk=received.message.pk).body == "jangan hilang"
