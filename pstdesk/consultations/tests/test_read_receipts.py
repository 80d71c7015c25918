"""The office's read receipts: reading the visitor's messages stamps them and tells the visitor's channel."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pstdesk.consultations.actions import mark_read_by_office, post_reply, receive_message
from pstdesk.consultations.models import Message
from pstdesk.consultations.tests.conftest import make_inbound

pytestmark = pytest.mark.django_db


def test_reading_stamps_the_visitors_messages_up_to_the_seq_and_tells_the_channel(
    officer_5102: Any, events: list[Any], commit: Any
) -> None:
    first = receive_message(make_inbound(channel="livechat_pfa", external_id="r-1"))
    consultation = first.consultation
    same = {"channel": "livechat_pfa", "visitor_id": consultation.visitor_id}
    second = receive_message(make_inbound(external_id="r-2", **same))
    third = receive_message(make_inbound(external_id="r-3", **same))
    assert second.consultation.pk == third.consultation.pk == consultation.pk
    events.clear()

    assert commit(mark_read_by_office, consultation, up_to_seq=second.message.seq, by=officer_5102) == 2
    read = dict(Message.objects.filter(consultation=consultation).values_list("seq", "read_at"))
    assert read[first.message.seq] is not None and read[second.message.seq] is not None
    assert read[third.message.seq] is None
    groups, event = next((g, e) for g, e in events if e["type"] == "messages.read")
    assert f"consultation.{consultation.pk}" in groups
    assert event["up_to"] == second.message.seq

    # Reading again changes nothing and publishes nothing; read receipts never go backwards.
    events.clear()
    assert commit(mark_read_by_office, consultation, up_to_seq=1, by=officer_5102) == 0
    assert not [e for _g, e in events if e["type"] == "messages.read"]


def test_officer_replies_are_not_marked_by_reading(officer_5102: Any, commit: Any) -> None:
    received = receive_message(make_inbound(channel="livechat_pfa", external_id="r-9"))
    reply = post_reply(received.consultation, by=officer_5102, body="Baik, kami cek.")
    commit(mark_read_by_office, received.consultation, up_to_seq=reply.seq, by=officer_5102)
    reply.refresh_from_db()
    assert reply.read_at is None


def test_console_read_verb_is_refused_to_another_office(officer_5102: Any, officer_5101: Any) -> None:
    received = receive_message(make_inbound(channel="livechat_pfa", external_id="r-5"))
    outsider = Client()
    outsider.force_login(officer_5101)
    url = f"/console/{received.consultation.pk}/read/"
    assert outsider.post(url, {"up_to": "1"}).status_code == 404
    assert Message.objects.get(pk=received.message.pk).read_at is None
    insider = Client()
    insider.force_login(officer_5102)
    assert insider.post(url, {"up_to": "1"}).status_code == 200
    assert Message.objects.get(pk=received.message.pk).read_at is not None
    assert insider.post(url, {"up_to": "satu"}).status_code == 400
