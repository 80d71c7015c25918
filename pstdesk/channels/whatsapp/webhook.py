"""The WhatsApp webhook's processing: every message and status of a stored delivery, idempotently.

The POST itself only checks the signature and stores the raw body (`intake`, a `channels.webhooks.WebhookIntake`;
answered after that commit). A worker then processes each claimed batch of stored deliveries here, in order:
1. one query routes every `phone_number_id` of the batch to its office, one query finds the wamids already stored
   (a reprocessed delivery skips them without downloading their media again), one reads the rating dialogs waiting
   for the senders' feedback;
2. media is downloaded outside any transaction (network I/O never holds the database's write lock);
3. one transaction for the batch (`consultations.actions.intake.intake_batch`: offices, calendars and "nobody on
   duty has room" read once), one savepoint per item: a failing item rolls back alone, its error is kept on its
   delivery's row; the outcomes are written in the same transaction. Something failing outside an item's savepoint
   rolls the batch back, and its deliveries are processed again one at a time.

What is tried again: nothing when every item was stored, or when a failure cannot heal (a bug, bad data; the
delivery row keeps the body and the error for `reprocess`). When an item failed for a reason that may pass (the
database busy, the media endpoint down) the delivery is released for a later retry, and the items already stored
are skipped then by their wamid / (wamid, status).
"""

from __future__ import annotations

import json
import logging
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q

from pstdesk.channels import webhooks
from pstdesk.channels.base import ChannelError, InboundAttachment, InboundMessage, Sender
from pstdesk.channels.whatsapp import accounts, client, dialogs
from pstdesk.channels.whatsapp.models import (
    DeliveryState,
    OutboundSend,
    RatingDialog,
    RatingStep,
    StatusEvent,
    WebhookDelivery,
)
from pstdesk.channels.whatsapp.outbound import message_id_from_callback
from pstdesk.channels.whatsapp.parsing import (
    USER_IDENTITY,
    WA_ID_IDENTITY,
    ParsedError,
    ParsedInvalid,
    ParsedMessage,
    ParsedStatus,
    error_text,
    parse_webhook,
    signature_valid,
)
from pstdesk.consultations.actions import receive_message, update_delivery_status
from pstdesk.consultations.actions.intake import intake_batch
from pstdesk.consultations.attachments import ALLOWED
from pstdesk.consultations.models import Consultation, Message
from pstdesk.guestbook.models import VisitorIdentity
from pstdesk.lib.actors import VisitorActor

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
STATUS_MAP = {"sent": "sent", "delivered": "delivered", "read": "read", "played": "read", "failed": "failed"}


@dataclass
class Outcome(webhooks.Outcome):
    invalid: int = 0
    unrouted: set[str] = field(default_factory=set)


class WhatsAppIntake(webhooks.WebhookIntake):
    """`POST /channels/whatsapp/webhook`: signed with the app secret (`X-Hub-Signature-256`)."""

    name = CHANNEL
    path = "/channels/whatsapp/webhook"
    model = WebhookDelivery

    def check_signature(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, str] | None:
        header = headers.get("x-hub-signature-256", "")
        if not header:
            return 401, "missing signature"
        if not signature_valid(settings.WHATSAPP_APP_SECRET, body, header):
            return 403, "invalid signature"
        return None

    def process(self, delivery: webhooks.Stored) -> webhooks.Outcome:
        return process_delivery(delivery)

    def process_batch(self, batch: list[webhooks.Stored]) -> None:
        process_batch(batch)


intake = WhatsAppIntake()


def _extension_for(mime: str) -> str:

    for ext, (content_type, _check) in ALLOWED.items():
        if content_type == mime:
            return ext
    return (mimetypes.guess_extension(mime) or ".bin").lstrip(".")


def _allowed_mime(mime: str) -> bool:

    return any(content_type == mime for content_type, _check in ALLOWED.values())


def fetch_media(parsed: ParsedMessage) -> tuple[tuple[InboundAttachment, ...], dict[str, Any]]:
    """Download a message's media now (webhook media ids expire). Returns the attachment, or a note saying why it
    was not taken (type or size). A transport failure raises GraphError (retryable: Meta redelivers)."""
    media = parsed.media
    if media is None:
        return (), {}
    note = {"media_id": media.media_id, "mime_type": media.mime_type}
    if not _allowed_mime(media.mime_type):
        return (), {**note, "skipped": "type"}
    info = client.get_media(media.media_id)
    size = int(info.get("file_size") or 0)
    if size > settings.ATTACHMENT_MAX_BYTES:
        return (), {**note, "skipped": "size", "size": size}
    content = client.download_media(str(info["url"]), max_bytes=settings.ATTACHMENT_MAX_BYTES)
    stem = f"whatsapp-{parsed.type}-{media.media_id}"
    filename = media.filename or f"{stem}.{_extension_for(media.mime_type)}"
    return (InboundAttachment(filename=filename, content_type=media.mime_type, content=content),), note


def to_inbound(
    parsed: ParsedMessage,
    office_code: str,
    attachments: tuple[InboundAttachment, ...] = (),
    media_note: dict[str, Any] | None = None,
) -> InboundMessage:
    details: dict[str, Any] = {"type": parsed.type}
    if parsed.reply_id:
        details["reply_id"] = parsed.reply_id
    if parsed.context_id:
        details["context"] = parsed.context_id
    if media_note:
        details["media"] = media_note
    if parsed.type not in {"text", "interactive", "button"} and parsed.raw.get(parsed.type) is not None:
        details["content"] = parsed.raw.get(parsed.type)
    body = parsed.body or ("" if attachments else f"[{parsed.type}]")
    return InboundMessage(
        channel=CHANNEL,
        office_code=office_code,
        external_id=parsed.wamid,
        body=body[: settings.MESSAGE_MAX_CHARS],
        sent_at=parsed.sent_at,
        sender=sender_of(parsed),
        attachments=attachments,
        payload={"whatsapp": details},
    )


@dataclass
class _Prepared:
    """One delivery read and routed, its media downloaded: what the batch's transaction does for it."""

    delivery: webhooks.Stored
    outcome: Outcome
    items: list[tuple[ParsedMessage | ParsedStatus | ParsedError, InboundMessage | None]] = field(default_factory=list)


def _prepare(batch: list[webhooks.Stored]) -> list[_Prepared]:
    """Parse every delivery of a batch, route every `phone_number_id` and find the wamids already stored (one query
    each for the whole batch), and download media (outside any transaction)."""

    prepared: list[_Prepared] = []
    parsed_items: list[tuple[_Prepared, list[ParsedMessage | ParsedStatus | ParsedError]]] = []
    for delivery in batch:
        entry = _Prepared(delivery, Outcome())
        prepared.append(entry)
        outcome = entry.outcome
        try:
            parsed = parse_webhook(json.loads(delivery.body))
        except (ValueError, RecursionError):
            outcome.state, outcome.errors = DeliveryState.INVALID, ["body is not JSON"]
            continue
        outcome.items = len(parsed)
        items: list[ParsedMessage | ParsedStatus | ParsedError] = []
        for found in parsed:
            if isinstance(found, ParsedInvalid):
                # Malformed: recorded with its reason and skipped; it cannot heal by redelivery, so it never makes
                # the valid items beside it wait (nor the POST fail).
                outcome.invalid += 1
                ident = f" ({found.ident})" if found.ident else ""
                outcome.errors.append(f"invalid item {found.where}{ident}: {found.reason}")
                log.warning("WhatsApp webhook %s: invalid item %s%s: %s", delivery.pk, found.where, ident, found.reason)
            else:
                items.append(found)
        parsed_items.append((entry, items))
    pnids = {item.phone_number_id for _entry, items in parsed_items for item in items}
    offices = accounts.offices_by_phone_number_id(list(pnids))
    wamids = [i.wamid for _entry, items in parsed_items for i in items if isinstance(i, ParsedMessage)]
    known: set[str] = set()
    if wamids:
        known = {
            str(wamid)
            for wamid in Message.objects.filter(channel=CHANNEL, external_id__in=wamids).values_list(
                "external_id", flat=True
            )
        }
    for entry, items in parsed_items:
        outcome = entry.outcome
        for item in items:
            if item.phone_number_id not in offices:
                outcome.unrouted.add(item.phone_number_id)
                continue
            if isinstance(item, ParsedMessage):
                if item.wamid in known:
                    continue
                try:
                    attachments, note = fetch_media(item)
                except client.GraphError as exc:
                    if exc.retryable:
                        outcome.transient = True
                        outcome.errors.append(f"{item.wamid}: media download failed ({exc}); retried later")
                        continue
                    attachments, note = (), {"media_id": item.media.media_id if item.media else "", "error": str(exc)}
                entry.items.append((item, to_inbound(item, offices[item.phone_number_id], attachments, note)))
            else:
                entry.items.append((item, None))
    return prepared


def process_deliveries(batch: list[webhooks.Stored]) -> list[Outcome]:
    """Process (or re-process: it is idempotent) stored deliveries, in order: routing, known wamids and the rating
    dialogs waiting for feedback read once for the batch, then one transaction with a savepoint per item; each
    delivery's outcome is written on its row in that transaction (`intake.finish_many`). When something fails
    outside an item's savepoint, the whole batch rolls back and the exception is raised."""

    prepared = _prepare(batch)
    messages = [i for p in prepared for i, _ in p.items if isinstance(i, ParsedMessage)]
    feedback = _FeedbackDialogs(messages)
    # The wamids `_prepare` found absent are not looked up again by `receive_message`.
    with intake_batch(absent={(CHANNEL, m.wamid) for m in messages}), transaction.atomic():
        for entry in prepared:
            _process_items(entry, feedback)
        intake.finish_many([(entry.delivery, entry.outcome) for entry in prepared])
    return [entry.outcome for entry in prepared]


def process_batch(batch: list[webhooks.Stored]) -> None:
    """The worker's step on a claimed batch: together (`process_deliveries`), or, when something failed outside an
    item's savepoint (the batch then rolled back), each delivery on its own, so one cannot hold up the others."""
    try:
        process_deliveries(batch)
    except webhooks.UNAVAILABLE:
        raise
    except Exception:
        log.exception("WhatsApp webhook batch %s..%s failed; processed one by one", batch[0].pk, batch[-1].pk)
        for delivery in batch:
            _process_alone(delivery)


def _process_alone(delivery: webhooks.Stored) -> Outcome:
    try:
        return process_deliveries([delivery])[0]
    except webhooks.UNAVAILABLE:
        raise
    except Exception as exc:
        log.exception("WhatsApp webhook delivery %s failed", delivery.pk)
        outcome = Outcome(state=DeliveryState.PARTIAL, errors=[f"{exc.__class__.__name__}: {exc}"])
        intake.finish(delivery, outcome)
        return outcome


def process_delivery(delivery: webhooks.Stored) -> Outcome:
    """Process (or re-process) one stored delivery (`reprocess_delivery`)."""
    return process_deliveries([delivery])[0]


def _process_items(entry: _Prepared, feedback: _FeedbackDialogs) -> None:
    delivery, outcome = entry.delivery, entry.outcome
    for item, inbound in entry.items:
        try:
            with transaction.atomic():
                if isinstance(item, ParsedMessage) and inbound is not None:
                    _handle_message(item, inbound, feedback)
                elif isinstance(item, ParsedStatus):
                    _handle_status(item, delivery.pk)
                elif isinstance(item, ParsedError):
                    log.warning("WhatsApp reported errors for %s: %s", item.phone_number_id, error_text(item.errors))
        except Exception as exc:
            transient = isinstance(exc, OperationalError) or (isinstance(exc, ChannelError) and not exc.permanent)
            outcome.transient = outcome.transient or transient
            ident = getattr(item, "wamid", item.phone_number_id)
            outcome.errors.append(f"{ident}: {exc.__class__.__name__}: {exc}")
            log.exception("WhatsApp webhook item %s of delivery %s failed", ident, delivery.pk)
    if outcome.state == DeliveryState.INVALID:  # not JSON
        return
    if outcome.unrouted:
        log.warning(
            "WhatsApp webhook for unknown phone_number_id %s (delivery %s) stored, not processed",
            ", ".join(sorted(outcome.unrouted)),
            delivery.pk,
        )
        outcome.errors.append("unknown phone_number_id: " + ", ".join(sorted(outcome.unrouted)))
    if outcome.invalid and outcome.invalid == outcome.items:
        outcome.state = DeliveryState.INVALID
    elif outcome.errors:
        unrouted_only = outcome.unrouted and len(outcome.errors) == 1
        outcome.state = DeliveryState.UNROUTED if unrouted_only else DeliveryState.PARTIAL
    else:
        outcome.state = DeliveryState.PROCESSED


def sender_of(parsed: ParsedMessage) -> Sender:
    """The visitor behind a message: the business-scoped user id first (it survives a number change), then the
    wa_id (the number's digits), both proven by WhatsApp."""
    keys = [(USER_IDENTITY, parsed.user_id), (WA_ID_IDENTITY, parsed.wa_id)]
    (kind, key), *others = [(kind, key) for kind, key in keys if key] or [(WA_ID_IDENTITY, "")]
    return Sender(
        kind=kind,
        key=key,
        verified=True,
        display_name=parsed.name,
        other_keys=tuple(others),
        phone=("+" + parsed.wa_id) if parsed.wa_id else "",
    )


def _sender_key(office_code: str, wa_id: str, user_id: str) -> tuple[str, str]:
    return office_code, (wa_id or user_id)


class _FeedbackDialogs:
    """Rating dialogs of closed consultations waiting for feedback text from the batch's senders (one query for the
    batch). Their text is the feedback, not a new request: it must not reopen the consultation. A sender whose
    dialog an earlier message of the batch may have moved (a button reply, a feedback text) is read again."""

    def __init__(self, messages: list[ParsedMessage]) -> None:
        self.waiting = self._read([m for m in messages if m.type == "text"])
        self.moved: set[tuple[str, str]] = set()

    @staticmethod
    def _read(texts: list[ParsedMessage]) -> dict[tuple[str, str], RatingDialog]:
        if not texts:
            return {}
        senders = Q()
        for m in texts:
            senders |= (
                Q(
                    consultation__visitor__identities__kind=WA_ID_IDENTITY,
                    consultation__visitor__identities__key=m.wa_id,
                )
                if m.wa_id
                else Q(
                    consultation__visitor__identities__kind=USER_IDENTITY,
                    consultation__visitor__identities__key=m.user_id,
                )
            )
        rows = (
            RatingDialog.objects.filter(senders, step=RatingStep.FEEDBACK, consultation__status="closed")
            .select_related("consultation__visitor", "consultation__office")
            .annotate(sender_key=F("consultation__visitor__identities__key"))
        )
        # The identity the filter matched: its key is the message's wa_id or its user id (`_sender_key`).
        return {(d.consultation.office_id, d.sender_key): d for d in rows}

    def get(self, office_code: str, parsed: ParsedMessage) -> RatingDialog | None:
        key = _sender_key(office_code, parsed.wa_id, parsed.user_id)
        if key in self.moved and parsed.type == "text":
            self.moved.discard(key)
            self.waiting.pop(key, None)
            self.waiting.update(self._read([parsed]))
        return self.waiting.get(key)

    def touched(self, office_code: str, parsed: ParsedMessage) -> None:
        self.moved.add(_sender_key(office_code, parsed.wa_id, parsed.user_id))


def _handle_message(parsed: ParsedMessage, inbound: InboundMessage, feedback: _FeedbackDialogs) -> None:

    reply = dialogs.parse_reply(parsed.reply_id) if parsed.reply_id else None
    waiting = feedback.get(inbound.office_code, parsed)
    if reply is not None or waiting is not None:
        feedback.touched(inbound.office_code, parsed)  # its rating dialog may move: read it again for the next one
    if reply is not None:
        target = (
            Consultation.objects.select_related("office", "visitor")
            .filter(pk=reply.consultation_id, office_id=inbound.office_code)
            .first()
        )
        if target is None or not _same_sender(target, parsed):
            reply = None  # not a reply to one of our questions to this visitor: an ordinary message
        elif target.status == "closed" and reply.what in {"score", "gratuity", "fee", "feedback"}:
            # A rating answer after closing (close-then-rate offices): kept in the transcript without reopening.
            if receive_message(replace(inbound, consultation_id=target.pk, reopens=False)).created:
                dialogs.handle_reply(reply, target, by=VisitorActor(target.visitor_id))
            return
    if waiting is not None and parsed.type == "text":
        consultation = waiting.consultation
        if receive_message(replace(inbound, consultation_id=consultation.pk, reopens=False)).created:
            dialogs.feedback_text(consultation, parsed.body, by=VisitorActor(consultation.visitor_id))
        return
    received = receive_message(replace(inbound, consultation_id=reply.consultation_id if reply else None))
    if not received.created:
        return
    consultation = received.consultation
    by = VisitorActor(consultation.visitor_id)
    if reply is not None:
        dialogs.handle_reply(reply, consultation, by=by)
    elif parsed.type == "text" and _awaiting_feedback(consultation):
        feedback.touched(inbound.office_code, parsed)
        dialogs.feedback_text(consultation, parsed.body, by=by)
    if received.message.seq == 1:
        dialogs.greet_new_consultation(consultation)


def _same_sender(consultation: Any, parsed: ParsedMessage) -> bool:
    keys = sender_of(parsed).keys()
    wanted = Q()
    for kind, key in keys:
        wanted |= Q(kind=kind, key=key)
    return bool(keys) and VisitorIdentity.objects.filter(wanted, visitor_id=consultation.visitor_id).exists()


def _awaiting_feedback(consultation: Any) -> bool:
    if consultation.rating_requested_at is None:
        return False
    return RatingDialog.objects.filter(consultation=consultation, step=RatingStep.FEEDBACK).exists()


def _handle_status(parsed: ParsedStatus, delivery_id: int) -> None:

    message_id, part = message_id_from_callback(parsed.callback_data)
    message = None
    if message_id is not None and part == 0:
        message = Message.objects.filter(pk=message_id, channel=CHANNEL, direction="out").first()
    if message is None and message_id is None:
        message = Message.objects.filter(channel=CHANNEL, external_id=parsed.wamid, direction="out").first()
        if message is None:
            send = OutboundSend.objects.filter(wamid=parsed.wamid, part=0).select_related("message").first()
            message = send.message if send else None
    try:
        with transaction.atomic():
            StatusEvent.objects.create(
                wamid=parsed.wamid,
                status=parsed.status,
                timestamp=parsed.timestamp,
                recipient_id=parsed.recipient_id,
                message=message,
                errors=list(parsed.errors),
                delivery_id=delivery_id,
            )
    except IntegrityError:
        return  # this (wamid, status) was applied already
    status = STATUS_MAP.get(parsed.status)
    if message is None or status is None:
        return
    update_delivery_status(
        message,
        status=status,
        external_id=parsed.wamid,
        error=error_text(parsed.errors) if status == "failed" else "",
        at=parsed.timestamp,
    )
