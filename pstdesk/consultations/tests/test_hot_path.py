"""Query budgets of the message hot path: an inbound message to an existing, open, assigned consultation of a known
visitor whose requirements are complete. The numbers are exact, so a change that adds a query fails here and has
to say why (bench/ measures the throughput; these pin what it depends on).

Run against real transactions (`transaction=True`): BEGIN and COMMIT are counted like any statement, so the number
of transactions is pinned too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pstdesk.channels.web import chat
from pstdesk.channels.web.actions import open_widget_session
from pstdesk.channels.webhooks import drain_all
from pstdesk.consultations.actions import (
    claim_consultation,
    mark_request_clear,
    receive_message,
    refresh_requirements,
)
from pstdesk.consultations.models import Consultation, Message, Status
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.guestbook.actions import identify_visitor
from pstdesk.lib.actors import ChannelActor, SystemActor, VisitorActor

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY_10_WITA = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MONDAY_20_WITA = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def office_hours() -> Iterator[None]:
    with time_machine.travel(MONDAY_10_WITA, tick=True):
        yield


def _open_and_assigned(consultation: Consultation, officer: Any) -> Consultation:
    claim_consultation(consultation, by=officer)  # also marks the request clear: open, SLA clock started
    consultation.refresh_from_db()
    if consultation.request_clear_at is None:
        mark_request_clear(consultation, by=officer)
    consultation.refresh_from_db()
    assert consultation.status == Status.OPEN and consultation.assigned_to_id == officer.pk
    return consultation


@pytest.fixture
def widget(office_5102: Any, officer_5102: Any) -> tuple[Any, Consultation]:
    """A widget session of a visitor with complete requirements, and their open, assigned consultation."""
    visitor = identify_visitor(name="Putu", email="putu@example.test", by=ChannelActor("test"))
    complete_requirements(visitor, "5102")
    session, _token = open_widget_session(office_5102, visitor, by=VisitorActor(visitor.pk), ip="127.0.0.1")
    with time_machine.travel(MONDAY_10_WITA, tick=True):
        sent = chat.submit_message(session, channel="livechat_website", client_id=uuid.uuid4(), body="Halo")
        return session, _open_and_assigned(sent.consultation, officer_5102)


def _statements(ctx: CaptureQueriesContext, word: str) -> int:
    return sum(1 for q in ctx.captured_queries if q["sql"].upper().startswith(word))


def test_widget_message_in_office_hours_costs_eight_queries_in_one_transaction(
    widget: tuple[Any, Consultation], office_hours: None, events: list[Any], django_assert_num_queries: Any
) -> None:
    session, consultation = widget
    # the pre-check for a resend, BEGIN, the consultation (with office and visitor), the seq update, the insert,
    # COMMIT; then the office calendar for the out-of-hours rule (standard, closures)
    with CaptureQueriesContext(connection) as ctx, django_assert_num_queries(8):
        sent = chat.submit_message(session, channel="livechat_website", client_id=uuid.uuid4(), body="Data PDRB?")
    assert _statements(ctx, "BEGIN") == 1 and _statements(ctx, "COMMIT") == 1
    assert sent.created and sent.message.seq == consultation.last_seq + 1
    assert sent.consultation.pk == consultation.pk
    stored = Consultation.objects.get(pk=consultation.pk)
    assert stored.last_seq == sent.message.seq and stored.last_inbound_at is not None
    # the events went out after the commit, the staff view to the office and the public view to the consultation
    groups = [
        groups for groups, event in events if event["type"] == "message.created" and event["seq"] == stored.last_seq
    ]
    assert groups == [["office.5102"], [f"consultation.{consultation.pk}"]]


def test_the_stored_message_is_rendered_for_the_widget_without_reading_it_back(
    widget: tuple[Any, Consultation], office_hours: None, django_assert_num_queries: Any
) -> None:
    session, _consultation = widget
    sent = chat.submit_message(session, channel="livechat_website", client_id=uuid.uuid4(), body="Tanpa lampiran")
    with django_assert_num_queries(0):
        row = chat.visitor_message(sent.message, session)
    assert row is not None and row["attachments"] == [] and row["body"] == "Tanpa lampiran"


def test_a_resent_widget_message_is_one_read_and_changes_nothing(
    widget: tuple[Any, Consultation], office_hours: None, django_assert_num_queries: Any
) -> None:
    session, consultation = widget
    client_id = uuid.uuid4()
    first = chat.submit_message(session, channel="livechat_website", client_id=client_id, body="Sekali saja")
    with django_assert_num_queries(2):  # the key, then the stored row with its consultation
        again = chat.submit_message(session, channel="livechat_website", client_id=client_id, body="Sekali saja")
    assert not again.created and again.message.pk == first.message.pk
    assert Message.objects.filter(consultation=consultation).count() == first.message.seq


def test_out_of_hours_the_reply_goes_once_and_later_messages_only_read(
    widget: tuple[Any, Consultation], django_assert_num_queries: Any
) -> None:
    session, consultation = widget
    with time_machine.travel(MONDAY_20_WITA, tick=True):
        first = chat.submit_message(session, channel="livechat_website", client_id=uuid.uuid4(), body="Malam")
        replies = Message.objects.filter(consultation=consultation, payload__out_of_hours=True)
        assert [m.seq for m in replies] == [first.message.seq + 1]
        # the same as in office hours, plus one read confirming today's reply was an out-of-hours reply
        with django_assert_num_queries(9):
            chat.submit_message(session, channel="livechat_website", client_id=uuid.uuid4(), body="Masih malam")
        assert replies.count() == 1


def test_a_new_consultation_waiting_for_its_request_to_be_marked_clear_takes_no_lock(
    office_5102: Any, officer_5102: Any, office_hours: None, django_assert_num_queries: Any
) -> None:
    visitor = identify_visitor(name="Made", email="made@example.test", by=ChannelActor("test"))
    complete_requirements(visitor, "5102")
    first = receive_message(make_inbound(channel="livechat_website", visitor_id=visitor.pk, body="Halo"))
    consultation = Consultation.objects.get(pk=first.consultation.pk)
    assert consultation.status == Status.NEW and consultation.requirements_complete_at is not None
    assert consultation.assigned_to_id == officer_5102.pk
    # the common case above, plus the requirement reads (guestbook entry, consent): they change nothing, so no
    # lock and no second transaction
    with CaptureQueriesContext(connection) as ctx, django_assert_num_queries(10):
        receive_message(make_inbound(channel="livechat_website", visitor_id=visitor.pk, body="Lagi"))
    assert _statements(ctx, "BEGIN") == 1


def test_nobody_on_duty_is_one_read_not_a_transaction(
    office_5102: Any, office_hours: None, django_assert_num_queries: Any
) -> None:
    visitor = identify_visitor(name="Komang", email="komang@example.test", by=ChannelActor("test"))
    complete_requirements(visitor, "5102")
    receive_message(make_inbound(channel="livechat_website", visitor_id=visitor.pk, body="Halo"))
    with CaptureQueriesContext(connection) as ctx, django_assert_num_queries(11):
        second = receive_message(make_inbound(channel="livechat_website", visitor_id=visitor.pk, body="Halo?"))
    assert _statements(ctx, "BEGIN") == 1
    assert Consultation.objects.get(pk=second.consultation.pk).assigned_to_id is None


def _whatsapp_post(client: Any, secret: str, wamid: str, wa_id: str, text: str) -> int:
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "5102000",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": "6285173215102", "phone_number_id": "105102"},
                                "contacts": [{"profile": {"name": "Putu"}, "wa_id": wa_id}],
                                "messages": [
                                    {
                                        "from": wa_id,
                                        "id": wamid,
                                        "timestamp": "1795399200",
                                        "type": "text",
                                        "text": {"body": text},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/channels/whatsapp/webhook",
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": signature},
    )
    return int(response.status_code)


def test_whatsapp_webhook_message_of_a_known_visitor(
    office_5102: Any, officer_5102: Any, office_hours: None, settings: Any, client: Any, django_assert_num_queries: Any
) -> None:
    settings.WHATSAPP_APP_SECRET = "hot-path-secret"
    wa_id = "6281234500001"
    assert _whatsapp_post(client, "hot-path-secret", "wamid.HOT1", wa_id, "Halo") == 200
    drain_all()
    first = Message.objects.get(external_id="wamid.HOT1")
    consultation = first.consultation
    complete_requirements(consultation.visitor, "5102")
    refresh_requirements(consultation, by=SystemActor("test"))
    consultation = _open_and_assigned(consultation, officer_5102)
    # The POST is one statement (the raw body's upsert, autocommit: no transaction of its own) and answers 200;
    # nothing of the message is done in the request.
    with CaptureQueriesContext(connection) as ctx, django_assert_num_queries(1):
        assert _whatsapp_post(client, "hot-path-secret", "wamid.HOT2", wa_id, "Data inflasi?") == 200
    assert _statements(ctx, "INSERT") == 1 and _statements(ctx, "BEGIN") == 0
    assert not Message.objects.filter(external_id="wamid.HOT2").exists()
    # The worker's step: the claim (one conditional UPDATE), routing, known wamids, waiting rating dialogs; then one
    # transaction for the batch (2) with a savepoint per item (2): the intake (the office and its standard, read once
    # per batch (2); the known sender's consultation with its visitor (1), in its savepoint (2): seq, insert), the
    # out-of-hours calendar (1, once per batch) and the outcomes (1); then the next claim, which finds nothing. The
    # wamid is not looked up again (the batch found it absent) and the visitor is not locked (nothing of it changes).
    with CaptureQueriesContext(connection) as ctx, django_assert_num_queries(18):
        assert drain_all() == 1
    assert _statements(ctx, "BEGIN") == 1
    second = Message.objects.get(external_id="wamid.HOT2")
    assert second.consultation_id == consultation.pk and second.seq == consultation.last_seq + 1
    # a redelivery of the same POST stores nothing
    assert _whatsapp_post(client, "hot-path-secret", "wamid.HOT2", wa_id, "Data inflasi?") == 200
    drain_all()
    assert Message.objects.filter(external_id="wamid.HOT2").count() == 1
