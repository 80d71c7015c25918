"""What the widget's socket and HTTP endpoints do, in synchronous functions over the core's actions.

The consumer (`consumers.py`) and the views (`views.py`) call these; they never write a model field themselves.
Everything a visitor sees goes through `visitor_message` (the core's `message_dict(for_staff=False)`: internal
notes never leave the office) and `consultation_state`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from pstdesk.channels.base import InboundAttachment, InboundMessage
from pstdesk.channels.web.models import WidgetSession
from pstdesk.consultations.actions import receive_message, update_delivery_status
from pstdesk.consultations.models import Consultation, DeliveryStatus, Direction, Message, MessageKind, Status
from pstdesk.consultations.serializers import message_dict, messages_queryset
from pstdesk.lib.actors import VisitorActor
from pstdesk.lib.errors import DomainError, InvalidInput
from pstdesk.offices.models import Channel
from pstdesk.offices.policy import ClosingOrder
from pstdesk.ratings.models import Rating, SkmResponse

WEB_CHANNELS = (Channel.LIVECHAT_WEBSITE, Channel.LIVECHAT_PFA)
FILE_SALT = "pstdesk.widget.file"
FILE_MAX_AGE = 7 * 24 * 3600
REPLAY_LIMIT = 500  # one replay never sends more; the client asks again from its new cursor


class MessageRefused(DomainError):
    """A visitor message the channel will not pass on (too long, empty, rate limited)."""

    def __init__(self, message: Any, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def actor(session: WidgetSession) -> VisitorActor:
    return VisitorActor(session.visitor_id)


def check_channel(channel: str) -> str:
    if channel not in WEB_CHANNELS:
        raise InvalidInput(_("Kanal tidak dikenal."))
    return channel


def check_client_id(client_id: Any) -> str:
    """A client-generated message id must be a UUID (it becomes the message's external id)."""
    try:
        return str(uuid.UUID(str(client_id)))
    except (ValueError, TypeError, AttributeError):
        raise MessageRefused(_("Pesan tanpa id yang sah."), code="bad_id") from None


def check_body(body: object, *, allow_empty: bool = False) -> str:
    if not isinstance(body, str):
        raise MessageRefused(_("Pesan harus berupa teks."), code="bad_body")
    body = body.replace("\r\n", "\n").strip()
    limit = settings.MESSAGE_MAX_CHARS
    if len(body) > limit:
        raise MessageRefused(
            _("Pesan terlalu panjang (%(n)d karakter); batasnya %(limit)d.") % {"n": len(body), "limit": limit},
            code="too_long",
        )
    if not body and not allow_empty:
        raise MessageRefused(_("Pesan kosong."), code="empty")
    return body


# --- reading --------------------------------------------------------------------------------------------------


def current_consultation(session: WidgetSession, channel: str) -> Consultation | None:
    """The consultation this visitor sees in this channel: the newest one of the visitor with the office."""
    return (
        Consultation.objects.select_related("office")
        .filter(visitor_id=session.visitor_id, office_id=session.office_id, channel=channel)
        .order_by("-created_at", "-pk")
        .first()
    )


def consultation_of(session: WidgetSession, consultation_id: int) -> Consultation | None:
    """A consultation of this session's visitor and office, or None (never another visitor's)."""
    return (
        Consultation.objects.select_related("office")
        .filter(pk=consultation_id, visitor_id=session.visitor_id, office_id=session.office_id)
        .first()
    )


def closing_order(consultation: Consultation) -> str:
    return consultation.office.policy.closing_order


def consultation_state(consultation: Consultation | None) -> dict[str, Any] | None:
    """What the widget needs to choose its view: the status, and whether the rating form or the end-of-conversation
    view is due (the office's closing order decides when the rating comes)."""
    if consultation is None:
        return None
    order = closing_order(consultation)
    rated = consultation.rated_at is not None or _has_rating(consultation)
    status = consultation.status
    if order == ClosingOrder.RATE_THEN_CLOSE:
        rating_due = status in (Status.AWAITING_RATING,) and not rated
    else:
        rating_due = status == Status.CLOSED and not rated
    return {
        "id": consultation.pk,
        "status": status,
        "status_label": str(consultation.get_status_display()),
        "closing_order": order,
        "rating_due": rating_due,
        "rated": rated,
        # the SKM questionnaire is offered after the rating, once per consultation
        "skm_due": rated and not _has_skm(consultation),
        "closed": status == Status.CLOSED,
        "last_seq": consultation.last_seq,
    }


def _has_skm(consultation: Consultation) -> bool:

    return SkmResponse.objects.filter(consultation=consultation).exists()


def _has_rating(consultation: Consultation) -> bool:

    return Rating.objects.filter(consultation=consultation).exists()


def file_url(session: WidgetSession, attachment_id: int) -> str:
    """A signed, expiring address of an attachment for this session's visitor (links cannot carry headers)."""
    token = signing.dumps({"a": attachment_id, "s": session.pk}, salt=FILE_SALT)
    return reverse("channel_web:file", kwargs={"office_code": session.office_id, "token": token})


def read_file_token(token: str) -> tuple[int, int] | None:
    try:
        data = signing.loads(token, salt=FILE_SALT, max_age=FILE_MAX_AGE)
        return int(data["a"]), int(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def visitor_message(message: Message, session: WidgetSession) -> dict[str, Any] | None:
    """A message as the visitor sees it (None for internal notes), with the client id of the visitor's own
    messages (so the widget can match its pending bubble) and attachment links the visitor may open."""

    data = message_dict(message, for_staff=False)
    if data is None:
        return None
    data.pop("external_id", None)
    data["client_id"] = message.external_id if message.direction == Direction.IN else None
    for item in data.get("attachments", []):
        item["url"] = file_url(session, item["id"])
    return data


def _visible(qs: Any) -> Any:

    return messages_queryset().filter(pk__in=qs.values("pk")).exclude(kind=MessageKind.NOTE).order_by("seq")


def replay(session: WidgetSession, consultation_id: int, after_seq: int) -> list[dict[str, Any]]:
    """Every message of the consultation visible to the visitor with seq > after_seq, in seq order."""
    qs = Message.objects.filter(consultation_id=consultation_id, seq__gt=max(0, int(after_seq)))
    rows = list(_visible(qs)[:REPLAY_LIMIT])
    return [d for d in (visitor_message(m, session) for m in rows) if d is not None]


def one_message(session: WidgetSession, consultation_id: int, seq: int) -> dict[str, Any] | None:
    qs = Message.objects.filter(consultation_id=consultation_id, seq=seq)
    row = _visible(qs).first()
    return visitor_message(row, session) if row is not None else None


def officer_read_seq(consultation_id: int) -> int:
    """The highest seq of the visitor's messages the office has read (0 when none)."""
    value = Message.objects.filter(
        consultation_id=consultation_id, direction=Direction.IN, read_at__isnull=False
    ).aggregate(m=Max("seq"))["m"]
    return int(value or 0)


# --- writing (through the core's actions) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    consultation: Consultation
    message: Message
    created: bool


def submit_message(
    session: WidgetSession,
    *,
    channel: str,
    client_id: Any,
    body: Any,
    attachments: Iterable[InboundAttachment] = (),
) -> Sent:
    """Pass one visitor message to `receive_message`, keyed by the client's id: a resend returns the stored
    message (created=False) and changes nothing."""

    channel = check_channel(channel)
    external_id = check_client_id(client_id)
    attachments = tuple(attachments)
    text = check_body(body, allow_empty=bool(attachments))
    visitor = session.visitor
    received = receive_message(
        InboundMessage(
            channel=channel,
            office_code=session.office_id,
            external_id=external_id,
            body=text,
            visitor_id=visitor.pk,
            attachments=attachments,
        )
    )
    message = received.message
    return Sent(consultation=message.consultation, message=message, created=bool(received.created))


def acknowledge(session: WidgetSession, consultation_id: int, *, up_to_seq: int, status: str) -> int:
    """The visitor's widget has shown ("delivered") or the visitor has seen ("read") the office's messages up to
    `up_to_seq`: move their delivery status forward (never back). Returns how many changed."""

    if status not in (DeliveryStatus.DELIVERED, DeliveryStatus.READ):
        raise InvalidInput(_("Status tidak dikenal."))
    if consultation_of(session, consultation_id) is None:
        return 0
    behind = (
        [DeliveryStatus.PENDING, DeliveryStatus.SENT]
        if status == DeliveryStatus.DELIVERED
        else [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED]
    )
    rows = Message.objects.filter(
        consultation_id=consultation_id,
        direction=Direction.OUT,
        kind=MessageKind.MESSAGE,
        seq__lte=int(up_to_seq),
        delivery_status__in=behind,
    ).order_by("seq")
    changed = 0
    for message in rows[:200]:
        try:
            changed += int(bool(update_delivery_status(message, status=status)))
        except DomainError:
            continue
    return changed
