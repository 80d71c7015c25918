"""The office's outbox: what every message the office sends shares (body rules, delivery after commit) and the
automatic messages the system sends on its own (out-of-hours reply, rating request, reminders)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.consultations.effects import (
    append_message,
    publish_message,
)
from pstdesk.consultations.models import (
    Consultation,
    DeliveryStatus,
    Direction,
    Message,
)
from pstdesk.lib.actors import Actor, SystemActor
from pstdesk.lib.errors import InvalidInput

log = logging.getLogger(__name__)


SYSTEM = SystemActor("")


def clean_body(body: str, *, has_files: bool) -> str:
    body = (body or "").strip()
    if not body and not has_files:
        raise InvalidInput(_("Pesan kosong: tulis isi pesan atau lampirkan berkas."))
    if len(body) > settings.MESSAGE_MAX_CHARS:
        raise InvalidInput(
            _("Pesan terlalu panjang (%(n)d karakter); batasnya %(max)d.")
            % {"n": len(body), "max": settings.MESSAGE_MAX_CHARS}
        )
    return body


def enqueue_delivery(message_id: int) -> None:
    def enqueue() -> None:
        try:
            # cycle: consultations.tasks imports this package (delivery status)
            from pstdesk.consultations.tasks import deliver_message

            deliver_message(message_id)
        except Exception:  # the sweep will pick the row up; a committed reply is never lost
            log.exception("enqueueing delivery of message %s failed", message_id)

    transaction.on_commit(enqueue)


def post_automatic_message(
    consultation: Consultation, *, body: str, payload: dict[str, Any] | None = None, by: Actor = SYSTEM
) -> Message:
    """A message the system sends (out-of-hours reply, rating request, requirement reminder): an outbox row like a
    reply, marked `is_automatic`, allowed in any status (a closed 5101 consultation still asks for its rating). It
    does not count as the first response."""
    body = clean_body(body, has_files=False)
    with transaction.atomic():
        now = timezone.now()
        message = append_message(
            consultation,
            direction=Direction.OUT,
            body=body,
            payload=payload,
            is_automatic=True,
            delivery_status=DeliveryStatus.PENDING,
            stamps={"last_outbound_at": now, "last_auto_reply_at": now},
        )
        record(
            "message.automatic",
            message,
            by=by,
            office=consultation.office,
            after={"consultation": consultation.pk, "seq": message.seq, "payload": list((payload or {}).keys())},
        )
        publish_message(message)
        enqueue_delivery(message.pk)
    return message
