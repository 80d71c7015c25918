"""Background work of the consultation core: sending outbox rows through their channel's adapter.

`deliver_message(message_id)` claims a pending outbound row with a conditional update (several workers may run),
keeps each consultation's order (seq N+1 is never sent before N has left the pending state), sends it with
`channels.base.get_adapter(channel).send(...)`, and records the outcome through `update_delivery_status`:
- success → sent, with the provider's id;
- `ChannelError(permanent=False)` or an unexpected error → stays pending with `next_attempt_at` moved by an
  exponential backoff (30 s, 1 min, 2 min, … capped at 1 h); after `MAX_ATTEMPTS` attempts → failed;
- `ChannelError(permanent=True)` → failed with the provider's text, which the officer sees.
A channel with no adapter in `REGISTRY` yet leaves its rows pending. `sweep_outbox` (every minute) re-enqueues
pending rows that are due, so a lost task or a crashed worker delays a message but never loses it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone
from huey import crontab

from pstdesk.channels import base as channel_base
from pstdesk.channels.base import ChannelError, OutboundMessage, Recipient
from pstdesk.consultations.actions.delivery import update_delivery_status
from pstdesk.consultations.effects import publish_message
from pstdesk.consultations.models import Consultation, DeliveryStatus, Direction, Message, MessageKind
from pstdesk.consultations.retention import run_retention
from pstdesk.consultations.serializers import attachment_dict
from pstdesk.lib.tasks import db_periodic_task, db_task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
# While a worker is sending, the row's next_attempt_at is pushed this far ahead so the sweep leaves it alone.
LEASE = timedelta(minutes=5)
SWEEP_LIMIT = 2000


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s doubling, at most an hour."""
    return min(BASE_DELAY * int(2 ** max(attempts - 1, 0)), MAX_DELAY)


def _outbox() -> Any:
    return Message.objects.filter(
        direction=Direction.OUT, kind=MessageKind.MESSAGE, delivery_status=DeliveryStatus.PENDING
    )


def build_outbound(message: Message) -> OutboundMessage:
    """The channel-neutral message an adapter sends. Attachments are listed in `payload["attachments"]` (id,
    filename, size, content_type, url); adapters read the files through `consultations.models.Attachment`."""
    consultation = message.consultation
    visitor = consultation.visitor
    payload = dict(message.payload)
    files = [attachment_dict(a) for a in message.attachments.order_by("pk")]
    if files:
        payload["attachments"] = files
    return OutboundMessage(
        message_id=message.pk,
        consultation_id=consultation.pk,
        office_code=consultation.office_id,
        channel=message.channel,
        body=message.body,
        payload=payload,
        recipient=Recipient(
            name=visitor.name,
            email=visitor.email,
            phone=visitor.whatsapp,
            identities=tuple(visitor.identities.order_by("pk").values_list("kind", "key")),
        ),
        is_automatic=message.is_automatic,
    )


def deliver_now(message_id: int) -> str:
    """One delivery attempt. Returns what happened: "sent", "retry", "failed", or why nothing was tried
    ("skipped", "not_due", "no_adapter", "waiting" for an earlier message of the same consultation)."""
    now = timezone.now()
    message = (
        Message.objects.select_related("consultation", "consultation__visitor", "consultation__office")
        .filter(pk=message_id)
        .first()
    )
    if (
        message is None
        or message.direction != Direction.OUT
        or message.kind != MessageKind.MESSAGE
        or message.delivery_status != DeliveryStatus.PENDING
    ):
        return "skipped"
    if message.next_attempt_at is not None and message.next_attempt_at > now:
        return "not_due"
    if message.channel not in channel_base.REGISTRY:
        return "no_adapter"
    if _outbox().filter(consultation_id=message.consultation_id, seq__lt=message.seq).exists():
        return "waiting"
    claimed = (
        _outbox()
        .filter(pk=message.pk, attempts=message.attempts)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    )
    if not claimed:
        return "skipped"  # another worker has it
    attempts = message.attempts + 1
    try:
        ref = channel_base.get_adapter(message.channel).send(build_outbound(message))
    except ChannelError as exc:
        return _failed_attempt(message, attempts, exc.message, permanent=exc.permanent)
    except Exception as exc:  # an adapter bug or a network error it did not wrap: retry, never lose the row
        log.exception("sending message %s through %s failed", message.pk, message.channel)
        return _failed_attempt(message, attempts, str(exc) or exc.__class__.__name__, permanent=False)
    update_delivery_status(message, status=DeliveryStatus.SENT, external_id=(ref.external_id or None) if ref else None)
    _deliver_next(message)
    return "sent"


def _failed_attempt(message: Message, attempts: int, error: str, *, permanent: bool) -> str:
    if permanent or attempts >= MAX_ATTEMPTS:
        update_delivery_status(message, status=DeliveryStatus.FAILED, error=error)
        _deliver_next(message)  # the next message no longer waits for this one
        return "failed"
    delay = backoff(attempts)
    Message.objects.filter(pk=message.pk, delivery_status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now() + delay, delivery_error=error[:2000]
    )
    fresh = Message.objects.select_related("consultation", "author").get(pk=message.pk)
    publish_message(fresh, event_type="message.updated")  # the officer sees "retrying: <error>"
    try:
        deliver_message.schedule((message.pk,), delay=delay.total_seconds())
    except Exception:  # the sweep will retry it
        log.warning("scheduling the retry of message %s failed", message.pk, exc_info=True)
    return "retry"


def _deliver_next(message: Message) -> None:
    following = _outbox().filter(consultation_id=message.consultation_id, seq__gt=message.seq).order_by("seq")
    next_id = following.values_list("pk", flat=True).first()
    if next_id is not None:
        deliver_message(next_id)


@db_task()
def deliver_message(message_id: int) -> str:
    """Send one outbox row (see `deliver_now`)."""
    return deliver_now(message_id)


@db_task()
def send_read_mark(consultation_id: int) -> bool:
    """Tell the visitor's channel that the office read their messages (its adapter's `mark_read` capability;
    queued by `delivery.mark_read_by_office` after commit). Returns whether a mark was sent; a channel without
    the capability, or a consultation gone meanwhile, sends nothing. The mark is a courtesy: a failure is logged
    by the adapter and not retried."""
    consultation = Consultation.objects.select_related("office").filter(pk=consultation_id).first()
    if consultation is None:
        return False
    mark_read = channel_base.capability(consultation.channel, "mark_read")
    return bool(mark_read(consultation)) if mark_read is not None else False


def due_heads(now: Any = None) -> list[int]:
    """The ids of the outbox rows the sweep should try: per consultation, the first pending row (in seq order),
    if it is due and its channel has an adapter."""
    now = now or timezone.now()
    heads: dict[int, tuple[int, Any, str]] = {}
    rows = _outbox().order_by("consultation_id", "seq")
    rows = rows.values_list("consultation_id", "pk", "next_attempt_at", "channel")
    for consultation_id, pk, next_at, channel in rows[:SWEEP_LIMIT]:
        heads.setdefault(consultation_id, (pk, next_at, channel))
    return [
        pk
        for pk, next_at, channel in heads.values()
        if (next_at is None or next_at <= now) and channel in channel_base.REGISTRY
    ]


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> int:
    """Re-enqueue due pending rows (lost tasks, retries after backoff, rows whose worker died mid-send)."""
    ids = due_heads()
    for pk in ids:
        deliver_message(pk)
    return len(ids)


@db_periodic_task(crontab(hour="2", minute="30"))
def erase_expired_personal_data() -> int:
    """The retention job, nightly (`pstdesk retention` runs the same by hand)."""
    return len(run_retention())
