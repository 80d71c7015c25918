"""The worker drains stored deliveries in batches: many senders at once, each sender's messages in the order they
were stored, a malformed delivery recorded without holding up the others, and what each message does unchanged
(a known sender who lacks a name still gains it; rating answers and feedback in one batch are read in order)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pstdesk.audit.models import AuditLog
from pstdesk.channels.webhooks import drain_all
from pstdesk.channels.whatsapp.models import DeliveryState, RatingDialog, RatingStep, WebhookDelivery
from pstdesk.channels.whatsapp.simulator import Simulator
from pstdesk.channels.whatsapp.tests.helpers import PNID, drive_outbox
from pstdesk.channels.whatsapp.webhook import intake
from pstdesk.consultations import actions
from pstdesk.consultations.models import Consultation, Direction, Message, Status
from pstdesk.guestbook.models import Visitor
from pstdesk.ratings.models import Rating

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
        consultation = Consultation.objects.get(visitor__identities__kind="whatsapp", visitor__identities__key=wa_id)
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
    visitor = Visitor.objects.get(identities__kind="whatsapp", identities__key="6281299990001")
    assert visitor.name == "" and visitor.whatsapp_proven
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


def test_rating_answers_and_feedback_in_one_batch_do_not_reopen(
    sim: Simulator, officer_5101: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jembrana closes, then asks for the rating. The visitor answers every question and writes the feedback before
    the worker runs: one batch. The feedback text is read against the dialog as the earlier answers of the batch left
    it, so it is the feedback (the closed consultation is not reopened), as when each answer is processed alone."""
    from pstdesk.channels.whatsapp.tests import conftest
    from pstdesk.channels.whatsapp.tests.test_end_to_end import consult_until_answered

    user = "6281298760009"
    consultation = consult_until_answered(sim, "5101", user, officer_5101)
    actions.close_consultation(consultation, by=officer_5101)  # closing asks for the rating
    drive_outbox(sim)
    monkeypatch.setattr(conftest, "process_stored", lambda: 0)  # the POSTs are stored, the worker waits
    for reply_id in (f"pst:score:{consultation.pk}:4", f"pst:gratuity:{consultation.pk}:yes"):
        sim.user_chooses(PNID["5101"], user, reply_id, kind="list_reply" if ":score:" in reply_id else "button_reply")
    sim.user_chooses(PNID["5101"], user, f"pst:fee:{consultation.pk}:no")
    sim.user_says(PNID["5101"], user, "Pelayanan cepat, terima kasih")
    sim.pump()
    assert WebhookDelivery.objects.filter(state=DeliveryState.RECEIVED).count() == 4
    assert drain_all() == 4
    consultation.refresh_from_db()
    assert consultation.status == Status.CLOSED and consultation.reopened_count == 0
    rating = Rating.objects.get(consultation=consultation)
    assert (rating.score, rating.gratuity, rating.illegal_fee) == (4, True, False)
    assert rating.feedback == "Pelayanan cepat, terima kasih"
    assert RatingDialog.objects.get(consultation=consultation).step == RatingStep.DONE
