"""Sending through the simulator: rendering, exactly once and in order under failures, the 24-hour window,
error mapping, pacing, templates and mark-as-read."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from pstdesk.channels.base import ChannelError, OutboundMessage
from pstdesk.channels.whatsapp import actions as wa_actions
from pstdesk.channels.whatsapp.adapter import WhatsAppAdapter
from pstdesk.channels.whatsapp.models import OutboundSend, ReadMark, StatusEvent, WhatsAppTemplate
from pstdesk.channels.whatsapp.outbound import window_closes_at
from pstdesk.channels.whatsapp.simulator import Simulator
from pstdesk.channels.whatsapp.tests.helpers import accepted_for, drive_outbox, outbound, start
from pstdesk.consultations.actions import post_reply
from pstdesk.consultations.models import DeliveryStatus
from pstdesk.lib.errors import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


def test_greeting_guestbook_link_and_topic_list(sim: Simulator) -> None:
    consultation = start(sim, "5102", "6281234560001")
    drive_outbox(sim)
    sent = accepted_for(sim, "6281234560001")
    assert [row["type"] for row in sent] == ["text", "interactive"]
    assert "/?t=" in sent[0]["text"] or "?t=" in sent[0]["text"]  # the signed guestbook link
    rows = sent[1]["body"]["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [
        f"pst:topic:{consultation.pk}:{t}" for t in ("data", "metadata", "classification")
    ]
    # the visitor picks "Metadata" in the list: the topic is set
    sim.user_chooses("105102", "6281234560001", rows[1]["id"], rows[1]["title"], kind="list_reply")
    sim.pump()
    consultation.refresh_from_db()
    assert consultation.topic == "metadata"


def test_reply_is_sent_with_our_id_and_reaches_read(sim: Simulator, officer_5102: Any) -> None:
    consultation = start(sim, "5102", "6281234560002")
    message = post_reply(consultation, by=officer_5102, body="Data kemiskinan ada di tabel berikut.")
    drive_outbox(sim)
    message.refresh_from_db()
    row = next(r for r in sim.accepted if r["callback_data"] == f"pst:{message.pk}")
    assert row["text"] == "Data kemiskinan ada di tabel berikut."
    assert message.external_id == row["wamid"]
    assert message.delivery_status == DeliveryStatus.READ
    assert OutboundSend.objects.get(message=message).wamid == row["wamid"]


def test_with_30_percent_failures_every_message_is_sent_once_and_in_order(sim: Simulator, officer_5102: Any) -> None:
    users = ["6281234561001", "6281234561002", "6281234561003"]
    consultations = [start(sim, "5102", u) for u in users]
    drive_outbox(sim)
    sim.failure_rate = 0.3
    for n in range(12):
        for consultation in consultations:
            post_reply(consultation, by=officer_5102, body=f"balasan {n} untuk {consultation.pk}")
    drive_outbox(sim)
    assert sim.failures_injected > 5
    callbacks = Counter(row["callback_data"] for row in sim.accepted)
    assert all(count == 1 for count in callbacks.values()), "a message was sent twice"
    for user, consultation in zip(users, consultations, strict=True):
        messages = outbound(consultation)
        assert all(
            m.delivery_status in {DeliveryStatus.DELIVERED, DeliveryStatus.READ, DeliveryStatus.SENT} for m in messages
        )
        assert [f"pst:{m.pk}" for m in messages] == [r["callback_data"] for r in accepted_for(sim, user)]
        assert [m.body for m in messages][-12:] == [f"balasan {n} untuk {consultation.pk}" for n in range(12)]


def test_free_text_outside_the_window_is_refused_before_sending(sim: Simulator, officer_5102: Any) -> None:
    consultation = start(sim, "5102", "6281234560003")
    drive_outbox(sim)
    before = len(sim.accepted)
    later = timezone.now() + timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        closes = window_closes_at(consultation)
        assert closes is not None and closes < timezone.now()
        message = post_reply(consultation, by=officer_5102, body="Maaf baru membalas")
        drive_outbox(sim)
    message.refresh_from_db()
    assert len(sim.accepted) == before  # nothing reached the API
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "24 jam" in message.delivery_error and "131047" in message.delivery_error


def test_131047_from_meta_fails_the_message_with_metas_error(sim: Simulator, officer_5102: Any) -> None:
    consultation = start(sim, "5102", "6281234560004")
    drive_outbox(sim)
    # Meta's clock says the window closed (our record of the last inbound is older than Meta's view)
    sim.set_last_inbound("105102", "6281234560004", sim.now() - 25 * 3600)
    message = post_reply(consultation, by=officer_5102, body="Apakah masih perlu datanya?")
    drive_outbox(sim)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert message.delivery_error.startswith("131047: Re-engagement message")
    assert StatusEvent.objects.filter(message=message, status="failed").exists()


def test_templates_are_synced_with_paging_and_sent_outside_the_window(
    sim: Simulator, officer_5102: Any, officer_5101: Any
) -> None:
    consultation = start(sim, "5102", "6281234560005")
    drive_outbox(sim)
    sim.templates += [dict(t, name=f"{t['name']}_{i}") for i in range(30) for t in sim.templates[:1]]
    counts = wa_actions.sync_templates("205102")
    assert counts["templates"] == len(sim.templates) > 25  # more than one page
    assert WhatsAppTemplate.objects.filter(waba_id="205102", status="APPROVED").count() == len(sim.templates) - 2
    with time_machine.travel(timezone.now() + timedelta(hours=30), tick=False):
        with pytest.raises(InvalidInput):
            wa_actions.send_template(consultation, by=officer_5102, name="pst_lanjutan", language="id", params=["Putu"])
        with pytest.raises(InvalidInput):
            wa_actions.send_template(consultation, by=officer_5102, name="pst_promo", language="id", params=["x"])
        with pytest.raises(NotAllowed):
            wa_actions.send_template(
                consultation, by=officer_5101, name="pst_lanjutan", language="id", params=["Putu", "x"]
            )
        message = wa_actions.send_template(
            consultation, by=officer_5102, name="pst_lanjutan", language="id", params=["Putu", "data kemiskinan"]
        )
        drive_outbox(sim)
    message.refresh_from_db()
    assert message.body == "Halo Putu, petugas PST ingin melanjutkan konsultasi Anda: data kemiskinan"
    assert message.delivery_status in {DeliveryStatus.DELIVERED, DeliveryStatus.READ}
    row = accepted_for(sim, "6281234560005")[-1]
    assert row["type"] == "template" and row["text"] == message.body


def test_graph_errors_map_to_retryable_or_permanent(sim: Simulator, officer_5102: Any) -> None:
    consultation = start(sim, "5102", "6281234560006")
    drive_outbox(sim)
    message = post_reply(consultation, by=officer_5102, body="x")
    adapter = WhatsAppAdapter()
    out = OutboundMessage(
        message_id=message.pk,
        consultation_id=consultation.pk,
        office_code="5102",
        channel="whatsapp",
        body="x",
        payload={},
    )
    sim.failure_rate = 1.0
    with pytest.raises(ChannelError) as retryable:
        adapter.send(out)
    assert not retryable.value.permanent
    sim.failure_rate = 0.0
    bad = OutboundMessage(
        message_id=message.pk,
        consultation_id=consultation.pk,
        office_code="5102",
        channel="whatsapp",
        body="x",
        payload={"whatsapp_template": {"name": "nope", "language": "id"}},
    )
    with pytest.raises(ChannelError) as permanent:
        adapter.send(bad)
    assert permanent.value.permanent
    assert "132001" in permanent.value.message


def test_a_retried_send_after_meta_accepted_is_not_sent_again(sim: Simulator, officer_5102: Any) -> None:
    consultation = start(sim, "5102", "6281234560007")
    drive_outbox(sim)
    message = post_reply(consultation, by=officer_5102, body="sekali saja")
    drive_outbox(sim)
    message.refresh_from_db()
    assert message.external_id
    count = len(sim.accepted)
    out = OutboundMessage(
        message_id=message.pk,
        consultation_id=consultation.pk,
        office_code="5102",
        channel="whatsapp",
        body="sekali saja",
        payload={},
    )
    ref = WhatsAppAdapter().send(out)  # e.g. a worker died after Meta answered, before the row was updated
    assert ref.external_id == message.external_id
    assert len(sim.accepted) == count


def test_pacing_per_recipient_defers_instead_of_hitting_metas_limit(
    sim: Simulator, officer_5102: Any, wa_settings: Any
) -> None:
    wa_settings.WHATSAPP_PAIR_BURST = 3
    wa_settings.WHATSAPP_PAIR_PERIOD = 3600
    consultation = start(sim, "5102", "6281234560008")  # greeting: 2 messages
    from pstdesk.consultations.tasks import deliver_now, due_heads

    sim.pump()
    for pk in due_heads():
        deliver_now(pk)
    post_reply(consultation, by=officer_5102, body="satu")
    post_reply(consultation, by=officer_5102, body="dua")
    for pk in due_heads():
        deliver_now(pk)
    messages = outbound(consultation)
    assert [m.delivery_status for m in messages[:3]] == [DeliveryStatus.SENT] * 3 or all(
        m.delivery_status != DeliveryStatus.PENDING for m in messages[:3]
    )
    assert messages[3].delivery_status == DeliveryStatus.PENDING
    assert "Terlalu banyak pesan" in messages[3].delivery_error
    assert len(accepted_for(sim, "6281234560008")) == 3


def test_simulator_answers_131056_past_the_pair_limit(sim: Simulator) -> None:
    from pstdesk.channels.whatsapp import client

    sim.pair_burst = 2
    sim.set_last_inbound("105102", "6281234560009", sim.now())
    client.send_message("105102", {"to": "6281234560009", "type": "text", "text": {"body": "a"}})
    client.send_message("105102", {"to": "6281234560009", "type": "text", "text": {"body": "b"}})
    with pytest.raises(client.GraphError) as exc:
        client.send_message("105102", {"to": "6281234560009", "type": "text", "text": {"body": "c"}})
    assert exc.value.code == 131056 and exc.value.retryable


def test_mark_read_sends_once_per_latest_message(sim: Simulator, officer_5102: Any, officer_5101: Any) -> None:
    consultation = start(sim, "5102", "6281234560010")
    with pytest.raises(NotAllowed):
        wa_actions.mark_read(consultation, by=officer_5101)
    assert wa_actions.mark_read(consultation, by=officer_5102) is True
    assert wa_actions.mark_read(consultation, by=officer_5102) is False
    latest = consultation.messages.filter(direction="in").order_by("-seq").first()
    assert latest is not None
    assert sim.marked_read == [latest.external_id]
    assert ReadMark.objects.get(consultation=consultation).wamid == latest.external_id


def test_console_read_verb_marks_read_through_the_worker_after_commit(
    sim: Simulator, officer_5102: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The officer's read verb answers without calling Meta: the mark is a task queued on commit (run at once in
    tests), which the adapter's `mark_read` capability sends."""
    consultation = start(sim, "5102", "6281234560011")
    latest = consultation.messages.filter(direction="in").order_by("-seq").first()
    assert latest is not None
    officer = Client()
    officer.force_login(officer_5102)
    url = f"/console/{consultation.pk}/read/"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert officer.post(url, {"up_to": str(latest.seq)}).status_code == 200
    assert sim.marked_read == []  # nothing went to Meta inside the request
    for callback in callbacks:
        callback()
    assert sim.marked_read == [latest.external_id]
    assert ReadMark.objects.get(consultation=consultation).wamid == latest.external_id
