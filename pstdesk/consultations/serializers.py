"""Plain dicts of consultations and messages, shared by the API, the console's WebSocket and the widget.

Both functions read only what the caller loaded: pass messages with `author` selected and `attachments`
prefetched, consultations with `office`, `visitor` and `assigned_to` selected (see `queries`)."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from pstdesk.consultations.models import Attachment, Consultation, Message, MessageKind
from pstdesk.ratings.presentation import rating_dict, rating_of


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def user_display(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.username)


def attachment_dict(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": reverse("consultations:attachment", args=[attachment.pk]),
    }


def message_dict(message: Message, *, for_staff: bool) -> dict[str, Any] | None:
    """A message as clients see it. Returns None for an internal note when `for_staff` is False: notes never
    leave the office. Staff also see the delivery error, attempts and whether a message was automatic."""
    if message.kind == MessageKind.NOTE and not for_staff:
        return None
    data: dict[str, Any] = {
        "id": message.pk,
        "consultation": message.consultation_id,
        "seq": message.seq,
        "direction": message.direction,
        "kind": message.kind,
        "body": message.body,
        "attachments": [attachment_dict(a) for a in message.attachments.all()],
        "external_id": message.external_id,
        "delivery_status": message.delivery_status,
        "created_at": _iso(message.created_at),
        "author": user_display(message.author) if message.author_id else "",
        "is_automatic": message.is_automatic,
    }
    if for_staff:
        data["delivery_error"] = message.delivery_error
        data["attempts"] = message.attempts
        data["payload"] = message.payload
        hidden = staff_hidden_body(message)
        if hidden is not None:
            data["body"] = hidden
            data["payload"] = {}
    else:
        # only what a channel needs to render (buttons, a rating form), never internal bookkeeping
        data["payload"] = {k: v for k, v in message.payload.items() if k in PUBLIC_PAYLOAD_KEYS}
    return data


PUBLIC_PAYLOAD_KEYS = {"rating_request", "buttons", "subject"}
INTEGRITY_REPLY = re.compile(r"^pst:(gratuity|fee):")


# An automatic message meant for the visitor's eyes only (the signed link to their personal data): staff see that
# it was sent, never its text.
PRIVATE_TO_VISITOR = "private_to_visitor"


def staff_hidden_body(message: Message) -> str | None:
    """What staff read instead of the message's text, or None when they read the text itself: the visitor's
    pressed answer to an integrity question (it belongs to the rating, shown to staff only as the office allows,
    `ratings.presentation`) and a message private to the visitor."""
    if (message.payload or {}).get(PRIVATE_TO_VISITOR):
        return _("(pesan pribadi untuk pengguna: tautan ke data pribadinya, tidak ditampilkan kepada petugas)")
    if _is_integrity_answer(message):
        return _("(jawaban pertanyaan integritas: lihat penilaian)")
    return None


def staff_body(message: Message) -> str:
    """The message's text as staff read it anywhere (console, API, reviews, search)."""
    hidden = staff_hidden_body(message)
    return message.body if hidden is None else hidden


def _is_integrity_answer(message: Message) -> bool:
    """A visitor's pressed answer to the rating's gratuity or illegal-fee question (WhatsApp's rating dialog)."""
    details = (message.payload or {}).get("whatsapp")
    return isinstance(details, dict) and bool(INTEGRITY_REPLY.match(str(details.get("reply_id") or "")))


def messages_queryset() -> QuerySet[Message]:
    """Messages with what `message_dict` reads, in two queries whatever their number."""
    return Message.objects.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    )


def consultations_queryset() -> QuerySet[Consultation]:
    return Consultation.objects.select_related("office", "visitor", "assigned_to")


def visitor_summary(visitor: Any) -> dict[str, Any]:
    return {
        "id": visitor.pk,
        "name": visitor.name,
        "email": visitor.email,
        "email_verified": visitor.email_verified_at is not None,
        "whatsapp": visitor.whatsapp,
    }


def consultation_dict(c: Consultation) -> dict[str, Any]:
    """A consultation for staff: the inbox row and the header of the consultation view."""
    return {
        "id": c.pk,
        "office": c.office_id,
        "channel": c.channel,
        "status": c.status,
        "status_label": str(c.get_status_display()),
        "topic": c.topic,
        "subject": c.subject,
        "title": c.title,
        "visitor": visitor_summary(c.visitor),
        "assigned_to": {"id": c.assigned_to.pk, "name": user_display(c.assigned_to)} if c.assigned_to else None,
        "created_at": _iso(c.created_at),
        "updated_at": _iso(c.updated_at),
        "request_clear_at": _iso(c.request_clear_at),
        "request_received_at": _iso(c.request_received_at),
        "clarification_asked_at": _iso(c.clarification_asked_at),
        "clarification_answered_at": _iso(c.clarification_answered_at),
        "requirements_complete_at": _iso(c.requirements_complete_at),
        "sla_started_at": _iso(c.sla_started_at),
        "due_at": _iso(c.due_at),
        "first_response_due_at": _iso(c.first_response_due_at),
        "first_response_at": _iso(c.first_response_at),
        "answered_at": _iso(c.answered_at),
        "rating_requested_at": _iso(c.rating_requested_at),
        "rated_at": _iso(c.rated_at),
        "closed_at": _iso(c.closed_at),
        "breached_at": _iso(c.breached_at),
        "last_inbound_at": _iso(c.last_inbound_at),
        "last_seq": c.last_seq,
        "reopened_count": c.reopened_count,
    }


def consultation_rating(c: Consultation, *, viewer: Any) -> dict[str, Any] | None:
    """The consultation's rating as `viewer` may see it (score, feedback, integrity answers unless the office hides
    them from this viewer), or None."""

    return rating_dict(rating_of(c), viewer=viewer)
