"""Driving a WhatsApp conversation through the simulator in tests."""

from __future__ import annotations

from typing import Any

from pstdesk.channels.whatsapp.simulator import Simulator
from pstdesk.consultations.models import Consultation, DeliveryStatus, Direction, Message

PNID = {"5102": "105102", "5101": "105101"}


def drive_outbox(sim: Simulator, *, rounds: int = 200) -> None:
    """Run the outbox like the worker and its sweep would, time-travelling over the backoff: send every due head,
    deliver the simulator's webhooks, until nothing is pending."""
    from pstdesk.consultations.tasks import deliver_now, due_heads

    for _ in range(rounds):
        sim.pump()
        pending = Message.objects.filter(direction=Direction.OUT, delivery_status=DeliveryStatus.PENDING)
        if not pending.exists():
            sim.pump()
            return
        pending.update(next_attempt_at=None)  # the backoff has passed
        for pk in due_heads():
            deliver_now(pk)
    raise AssertionError("outbox did not drain")


def start(
    sim: Simulator, office: str, user: str, text: str = "Saya butuh data kemiskinan Tabanan 2024"
) -> Consultation:
    sim.user_says(PNID[office], user, text, name="Putu")
    sim.pump()
    return Consultation.objects.get(office_id=office, visitor__identities__key=user)


def outbound(consultation: Consultation) -> list[Message]:
    return list(consultation.messages.filter(direction=Direction.OUT, kind="message").order_by("seq"))


def accepted_for(sim: Simulator, user: str) -> list[dict[str, Any]]:
    return [row for row in sim.accepted if row["to"] == user]
