"""Inbound messages: stored once per wamid, every item of a batch, every message type, routed by phone number
id, media downloaded on receipt; one failing item loses nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pstdesk.channels.whatsapp.models import DeliveryState, WebhookDelivery
from pstdesk.channels.whatsapp.simulator import Simulator
from pstdesk.channels.whatsapp.tests.conftest import fixture
from pstdesk.consultations.models import Attachment, Consultation, Direction, Message
from pstdesk.guestbook.models import Visitor
from pstdesk.testing.identities import set_whatsapp_account

pytestmark = pytest.mark.django_db


def _batch(n: int, *, pnid: str = "105102") -> dict[str, Any]:
    """n messages from n/5 users spread over several entries and changes, like a busy Meta POST."""
    entries = []
    for e in range(5):
        changes = []
        for c in range(2):
            messages, contacts = [], []
            for m in range(n // 10):
                k = e * 100 + c * 10 + m
                user = f"62812000{e}{c}{m:03d}"
                contacts.append({"profile": {"name": f"User {k}"}, "wa_id": user})
                messages.append(
                    {
                        "from": user,
                        "id": f"wamid.batch{k}",
                        "timestamp": "1700000000",
                        "type": "text",
                        "text": {"body": f"pesan {k}"},
                    }
                )
            changes.append(
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"display_phone_number": "6285173215102", "phone_number_id": pnid},
                        "contacts": contacts,
                        "messages": messages,
                    },
                }
            )
        entries.append({"id": "205102", "changes": changes})
    return {"object": "whatsapp_business_account", "entry": entries}


def test_text_message_from_the_fixture_is_stored(post_webhook: Any, sim: Simulator) -> None:
    response = post_webhook(fixture("text_message.json"))
    assert response.status_code == 200
    message = Message.objects.get(external_id="wamid.xyzxyz")
    assert message.direction == Direction.IN
    assert message.body == "Body Text"
    consultation = message.consultation
    assert consultation.office_id == "5102"
    assert consultation.channel == "whatsapp"
    visitor = consultation.visitor
    assert visitor.identity("whatsapp") == "6281298765432"
    assert visitor.identity("whatsapp_user") == "US.13491208655302741918"
    assert visitor.name == "Test Name"
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PROCESSED
    assert bytes(delivery.body) == fixture("text_message.json")


def test_one_delivery_sent_five_times_stores_one_message(post_webhook: Any, sim: Simulator) -> None:
    for _ in range(5):
        assert post_webhook(fixture("text_message.json")).status_code == 200
    assert Message.objects.filter(direction=Direction.IN).count() == 1
    assert Consultation.objects.count() == 1
    delivery = WebhookDelivery.objects.get()  # the redeliveries are counted on the first POST's row
    assert delivery.attempts == 5
    assert bytes(delivery.body) == fixture("text_message.json")


def test_a_redelivery_adds_no_raw_row_but_another_body_does(post_webhook: Any, sim: Simulator) -> None:
    first = fixture("text_message.json")
    assert post_webhook(first).status_code == 200
    stored = WebhookDelivery.objects.get()
    assert stored.body_sha256 and stored.attempts == 1
    # The same signed bytes again and again (Meta's redelivery, or a replay): one row, its attempts counted.
    for _ in range(3):
        assert post_webhook(first).status_code == 200
    assert WebhookDelivery.objects.count() == 1
    assert WebhookDelivery.objects.get().attempts == 4
    # One byte more (a different body, so a different signature) is another delivery, stored before the answer.
    second = first.rstrip() + b"\n\n"
    assert post_webhook(second).status_code == 200
    assert WebhookDelivery.objects.count() == 2
    assert bytes(WebhookDelivery.objects.order_by("pk").last().body) == second
    assert Message.objects.filter(direction=Direction.IN).count() == 1


def test_a_redelivery_of_a_failed_post_is_processed_again_on_its_row(post_webhook: Any, sim: Simulator) -> None:
    body = json.loads(fixture("text_message.json"))
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999"  # routed nowhere yet
    assert post_webhook(body).status_code == 200
    assert WebhookDelivery.objects.get().state == DeliveryState.UNROUTED
    assert not Message.objects.exists()
    from pstdesk.offices.models import Office

    set_whatsapp_account("5102", "999999")
    assert post_webhook(body).status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PROCESSED, 2)
    assert Message.objects.filter(direction=Direction.IN, external_id="wamid.xyzxyz").count() == 1


def test_a_batch_of_50_messages_in_one_post_stores_50(post_webhook: Any, sim: Simulator) -> None:
    body = _batch(50)
    response = post_webhook(body)
    assert response.status_code == 200
    stored = Message.objects.filter(direction=Direction.IN, external_id__startswith="wamid.batch")
    assert stored.count() == 50
    assert Visitor.objects.count() == 50
    assert WebhookDelivery.objects.get().items == 50
    # sent again (Meta retries): still 50
    post_webhook(body)
    assert stored.count() == 50


def test_unknown_phone_number_id_is_stored_not_processed(post_webhook: Any, sim: Simulator) -> None:
    response = post_webhook(_batch(10, pnid="999999"))
    assert response.status_code == 200
    assert Message.objects.count() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.UNROUTED
    assert "999999" in delivery.error


def test_routed_by_phone_number_id_to_each_office(post_webhook: Any, sim: Simulator) -> None:
    body = json.loads(fixture("text_message.json"))
    post_webhook(body)
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "105101"
    body["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.jembrana"
    post_webhook(body)
    assert Message.objects.get(external_id="wamid.xyzxyz").consultation.office_id == "5102"
    assert Message.objects.get(external_id="wamid.jembrana").consultation.office_id == "5101"


def test_every_message_type_is_stored_with_a_readable_body(post_webhook: Any, sim: Simulator) -> None:
    sim.media["999"] = (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", "")
    assert post_webhook(fixture("message_types.json")).status_code == 200
    bodies = dict(Message.objects.filter(direction=Direction.IN).values_list("external_id", "body"))
    assert bodies["wamid.t1"] == "title"
    assert bodies["wamid.t2"] == "Row"
    assert bodies["wamid.t3"] == "Quick reply"
    assert bodies["wamid.t4"] == "👍"
    assert "BPS Tabanan" in bodies["wamid.t5"] and "-8.54,115.12" in bodies["wamid.t5"]
    assert "unsupported" in bodies["wamid.t6"]
    payload = Message.objects.get(external_id="wamid.t1").payload["whatsapp"]
    assert payload == {"type": "interactive", "reply_id": "callback_data", "context": "wamid.prev"}
    sticker = Message.objects.get(external_id="wamid.t7")
    assert sticker.attachments.count() == 1
    assert sticker.attachments.get().content_type == "image/webp"


def test_contact_with_only_a_business_scoped_user_id(post_webhook: Any, sim: Simulator) -> None:
    sim.user_says("105102", "US.99887766554433221100", "Halo, saya pakai username", name="Anon")
    sim.pump()
    message = Message.objects.get(direction=Direction.IN, body="Halo, saya pakai username")
    visitor = message.consultation.visitor
    assert visitor.identity("whatsapp_user") == "US.99887766554433221100"
    assert visitor.identity("whatsapp") is None


def test_media_is_downloaded_on_receipt(sim: Simulator) -> None:
    pdf = b"%PDF-1.4\n% a small table of data\n"
    sim.user_sends_media("105102", "6281234500001", pdf, "application/pdf", filename="tabel.pdf", caption="ini datanya")
    sim.pump()
    message = Message.objects.get(direction=Direction.IN, body="ini datanya")
    attachment = Attachment.objects.get(message=message)
    assert attachment.filename == "tabel.pdf"
    assert attachment.file.read() == pdf


def test_media_over_the_size_limit_is_noted_not_downloaded(sim: Simulator, wa_settings: Any) -> None:
    wa_settings.ATTACHMENT_MAX_BYTES = 1024
    sim.user_sends_media("105102", "6281234500002", b"%PDF-" + b"x" * 5000, "application/pdf", filename="big.pdf")
    sim.pump()
    message = Message.objects.get(direction=Direction.IN)
    assert message.attachments.count() == 0
    assert message.payload["whatsapp"]["media"]["skipped"] == "size"


def test_one_failing_item_does_not_lose_the_others(
    post_webhook: Any, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pstdesk.channels.whatsapp import webhook as whatsapp_webhook

    real = whatsapp_webhook.receive_message

    def flaky(inbound: Any) -> Any:
        if inbound.external_id == "wamid.batch12":
            raise ValueError("boom")
        return real(inbound)

    monkeypatch.setattr(whatsapp_webhook, "receive_message", flaky)
    response = post_webhook(_batch(50))
    assert response.status_code == 200  # a bug will not heal by redelivery: keep it, don't make Meta retry
    assert Message.objects.filter(direction=Direction.IN).count() == 49
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PARTIAL
    assert "wamid.batch12" in delivery.error and "boom" in delivery.error
    # fixed, the stored delivery is processed again: the missing one is added, nothing doubled
    monkeypatch.setattr(whatsapp_webhook, "receive_message", real)
    from pstdesk.channels.whatsapp.actions import reprocess_delivery

    assert reprocess_delivery(delivery) == "processed"
    assert Message.objects.filter(direction=Direction.IN).count() == 50


def test_a_transient_failure_is_retried_by_the_worker_later(
    post_webhook: Any, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    import time_machine
    from django.db import OperationalError
    from django.utils import timezone

    from pstdesk.channels.whatsapp import webhook as whatsapp_webhook
    from pstdesk.channels.whatsapp.tests.conftest import process_stored

    real = whatsapp_webhook.receive_message
    calls = {"n": 0}

    def busy_once(inbound: Any) -> Any:
        if inbound.external_id == "wamid.batch110" and calls["n"] == 0:
            calls["n"] += 1
            raise OperationalError("database is locked")
        return real(inbound)

    monkeypatch.setattr(whatsapp_webhook, "receive_message", busy_once)
    body = _batch(10)
    assert post_webhook(body).status_code == 200  # stored: Meta need not redeliver, the worker retries
    assert Message.objects.filter(direction=Direction.IN).count() == 9
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.RECEIVED and "database is locked" in delivery.error
    assert process_stored() == 0  # not before its retry time
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        assert process_stored() == 1
    assert Message.objects.filter(direction=Direction.IN).count() == 10
    assert WebhookDelivery.objects.get().state == DeliveryState.PROCESSED
