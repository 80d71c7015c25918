"""Delivery status of outbox rows, moving forward only (pending < sent < delivered < read; failed is final).

Provider receipts arrive late, twice and out of order (WhatsApp may send `read` without `delivered`): each update
is one conditional UPDATE that matches only when it moves the row forward, so a backwards or repeated receipt is a
no-op and two workers can never both win."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from pstdesk.audit.actions import record
from pstdesk.channels import base as channel_base
from pstdesk.consultations.effects import publish_message
from pstdesk.consultations.models import DeliveryStatus, Direction, Message
from pstdesk.lib.actors import Actor, SystemActor
from pstdesk.lib.errors import InvalidInput
from pstdesk.lib.events import consultation_group, office_group, publish_on_commit

RANK: dict[str, int] = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}
# A failure is accepted while the message has not reached the visitor.
FAILABLE = (DeliveryStatus.PENDING, DeliveryStatus.SENT)
STAMP: dict[str, str] = {
    DeliveryStatus.SENT: "sent_at",
    DeliveryStatus.DELIVERED: "delivered_at",
    DeliveryStatus.READ: "read_at",
}


def update_delivery_status(
    message: Message,
    *,
    status: str,
    external_id: str | None = None,
    error: str = "",
    at: datetime | None = None,
) -> bool:
    """Move an outbound message's delivery status forward. Returns False (and changes nothing) for a backwards or
    duplicate update. `error` is the provider's text, shown to the officer on failure. Publishes
    `message.updated`; a failure also writes an audit row."""
    if status not in RANK and status != DeliveryStatus.FAILED:
        raise InvalidInput(f"unknown delivery status {status!r}")
    at = at or timezone.now()
    if status == DeliveryStatus.FAILED:
        allowed_from: tuple[str, ...] = FAILABLE
        fields: dict[str, Any] = {"delivery_error": error[:2000], "next_attempt_at": None}
    else:
        allowed_from = tuple(s for s, rank in RANK.items() if rank < RANK[status])
        fields = {STAMP[status]: at}
        if status == DeliveryStatus.SENT:
            fields.update(delivery_error="", next_attempt_at=None)
    fields["delivery_status"] = status
    if external_id:
        fields["external_id"] = external_id
    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message.pk, direction=Direction.OUT, delivery_status__in=allowed_from
        ).update(**fields)
        if not updated:
            return False
        for name, value in fields.items():
            setattr(message, name, value)
        fresh = Message.objects.select_related("consultation", "author").get(pk=message.pk)
        if status == DeliveryStatus.FAILED:
            record(
                "message.failed",
                fresh,
                by=SystemActor("delivery"),
                office=fresh.consultation.office,
                after={"consultation": fresh.consultation_id, "seq": fresh.seq, "error": fields["delivery_error"]},
            )
        publish_message(fresh, event_type="message.updated")
    return True


def mark_read_by_office(consultation: Any, *, up_to_seq: int, by: Actor) -> int:
    """The office has read the visitor's messages up to `up_to_seq`: stamp their `read_at` (only moving forward)
    and tell the visitor's channel (`messages.read` on the consultation group; the widget shows "Dibaca"; a channel
    with the `mark_read` capability, WhatsApp, gets its mark from the worker after commit, never inside the
    officer's request). Returns how many messages were newly marked. Like delivery receipts, read receipts write
    no audit row: they are delivery facts of messages, not decisions."""
    # tasks imports this module (update_delivery_status), so the task is looked up when it is needed.
    from pstdesk.consultations.tasks import send_read_mark

    with transaction.atomic():
        marked = Message.objects.filter(
            consultation=consultation, direction=Direction.IN, seq__lte=up_to_seq, read_at__isnull=True
        ).update(read_at=timezone.now())
        if marked:
            event = {
                "type": "messages.read",
                "consultation": consultation.pk,
                "office": consultation.office_id,
                "up_to": up_to_seq,
            }
            publish_on_commit([consultation_group(consultation.pk), office_group(consultation.office_id)], event)
            if channel_base.capability(consultation.channel, "mark_read") is not None:
                transaction.on_commit(functools.partial(send_read_mark, consultation.pk))
    return marked
