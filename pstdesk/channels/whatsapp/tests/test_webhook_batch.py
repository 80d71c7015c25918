"""The worker drains stored deliveries in batches: many senders at once, each sender's messages in the order they
were stored, a malformed delivery recorded without holding up the others, and what each message does unchanged
(a known sender who lacks a name or a verified number still gains it)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pstdesk.audit.models import AuditLog
from pstdesk.channels.webhooks import drain_all
from pstdesk.channels.whatsapp.models import DeliveryState, WebhookDelivery
from pstdesk.channels.whatsapp.webhook import intake
from pstdesk.consultations.models import Consultation, Direction, Message
from pstdesk.guestbook.models import Visitor

pytestmark = pytest.mark.django_db


def _delivery(wamid: str, wa_id: str, text: str, *, name: str = "Putu") -> bytes:
    contact: dict[str, Any] = {"wa_id": wa_id, "profile": {"name": name}}
    message = {"from": wa_id, "id": wamid, "timestamp": "1700000000", "type": "text", "text": {"body": text}}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6285173215102", "phone_number_id": "105102"},
        "contacts": [contact],
        "messages": [message],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "205102", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


def test_a_backlog_from_many_senders_keeps_each_senders_order(wa_settings: Any) -> None:
    senders = [f"6281200000{n:02d}" for n in range(7)]
    bodies = [_delivery(f"wamid.b{k}", senders[k % 7], f"pesan {k}") for k in range(60)]
    bodies.insert(30, b"{not json")
    intake.store_many(bodies)
    assert drain_all() == 61
    states = list(WebhookDelivery.objects.order_by("id").values_list("state", flat=True))
    assert states[30] == DeliveryState.INVALID and "not JSON" in WebhookDelivery.objects.order_by("id")[30].error
    assert states[:30] + states[31:] == [DeliveryState.PROCESSED] * 60
    for n, wa_id in enumerate(senders):
        consultation = Consultation.objects.get(visitor__wa_id=wa_id)
        inbound = consultation.messages.filter(direction=Direction.IN).order_by("seq")
        assert [m.external_id for m in inbound] == [f"wamid.b{k}" for k in range(n, 60, 7)]
        assert AuditLog.objects.filter(verb="consultation.opened", subject_id=str(consultation.pk)).count() == 1
    # stored again (Meta redelivers): nothing doubles
    intake.store_many(bodies)
    drain_all()
    assert Message.objects.filter(direction=Direction.IN).count() == 60


def test_a_known_sender_still_gains_the_name_it_lacks(wa_settings: Any) -> None:
    intake.store_many([_delivery("wamid.n1", "6281299990001", "halo", name="")])
    drain_all()
    visitor = Visitor.objects.get(wa_id="6281299990001")
    assert visitor.name == "" and visitor.whatsapp_verified_at is not None
    intake.store_many([_delivery("wamid.n2", "6281299990001", "data inflasi", name="Made")])
    drain_all()
    visitor.refresh_from_db()
    assert visitor.name == "Made"
    assert AuditLog.objects.filter(verb="visitor.identifiers_added", subject_id=str(visitor.pk)).count() == 1
    consultation = Consultation.objects.get(visitor=visitor)
    assert list(consultation.messages.filter(direction=Direction.IN).values_list("external_id", flat=True)) == [
        "wamid.n1",
        "wamid.n2",
    ]
