"""Pigeon: a channel that exists only in the test suite, the proof that a channel is one folder.

It touches no file outside this folder: the test adds its one `REGISTRY` line. The "provider" is the in-memory
`LOFT` (what was flown to visitors, which messages got read marks). `receive` is its inbound side: a visitor's
text becomes an `InboundMessage` for the core's `receive_message`, and "/nilai <1-5>" answers the rating of the
consultation the last reply came from, as a channel's own rating dialog would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pstdesk.channels.base import InboundMessage, OutboundMessage, ProviderRef, Sender
from pstdesk.consultations.actions import Received, receive_message
from pstdesk.consultations.models import Consultation, Direction
from pstdesk.lib.actors import VisitorActor
from pstdesk.ratings.actions import record_rating

KIND = "pigeon"


@dataclass
class Loft:
    flown: list[OutboundMessage] = field(default_factory=list)
    read_marks: list[str] = field(default_factory=list)  # the external id of the latest message marked read

    def clear(self) -> None:
        self.flown.clear()
        self.read_marks.clear()


LOFT = Loft()


class PigeonAdapter:
    kind = KIND

    def send(self, message: OutboundMessage) -> ProviderRef:
        LOFT.flown.append(message)
        return ProviderRef(external_id=f"pigeon:{message.message_id}")

    def mark_read(self, consultation: Any) -> bool:
        latest = (
            consultation.messages.filter(direction=Direction.IN, external_id__isnull=False)
            .order_by("-seq")
            .values_list("external_id", flat=True)
            .first()
        )
        if not latest or (LOFT.read_marks and LOFT.read_marks[-1] == latest):
            return False
        LOFT.read_marks.append(latest)
        return True


def receive(office_code: str, *, name: str, address: str, text: str, external_id: str) -> Received | Any:
    """One message from a visitor (`address` is their pigeon address, kept as an unverified e-mail-like contact)."""
    if text.startswith("/nilai "):
        last = next(m for m in reversed(LOFT.flown) if m.office_code == office_code)
        consultation = Consultation.objects.get(pk=last.consultation_id)
        return record_rating(
            consultation, by=VisitorActor(consultation.visitor_id), score=int(text.split()[1]), channel=KIND
        )
    return receive_message(
        InboundMessage(
            channel=KIND,
            office_code=office_code,
            external_id=external_id,
            body=text,
            # The pigeon address is this channel's key for the person (unproven, like an e-mail From).
            sender=Sender(kind=KIND, key=address, display_name=name, email=address),
        )
    )
