"""Messages written by the office's staff: replies (with "answered" in the same transaction), the clarifying
question that holds the SLA clock, internal notes, and the consultation's topic."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.consultations import transitions
from pstdesk.consultations.actions.outbox import clean_body, enqueue_delivery
from pstdesk.consultations.actions.procedure import mark_answered
from pstdesk.consultations.actions.requirements import clock_changes
from pstdesk.consultations.attachments import validate_attachments
from pstdesk.consultations.effects import (
    append_message,
    lock,
    publish_consultation,
    publish_message,
    snapshot,
)
from pstdesk.consultations.models import (
    Consultation,
    DeliveryStatus,
    Direction,
    Message,
    MessageKind,
    Topic,
)
from pstdesk.lib.actors import Actor, is_user
from pstdesk.lib.errors import InvalidInput, InvalidTransition, NotAllowed

log = logging.getLogger(__name__)


def post_reply(
    consultation: Consultation,
    *,
    by: Actor,
    body: str,
    attachments: Sequence[Any] = (),
    payload: dict[str, Any] | None = None,
    answer: bool = False,
) -> Message:
    """An officer's reply: validated (body length, every file) before anything is written, then stored as an
    outbox row (`delivery_status="pending"`) at the next seq; `tasks.deliver_message` sends it after commit. The
    first officer reply records `first_response_at`. With `answer`, the consultation is also marked answered
    (`mark_answered`) in the same transaction: the reply and the answer happen together or not at all (the
    console's "send and mark answered" and the API's `answer: true`)."""
    files = validate_attachments(attachments)
    body = clean_body(body, has_files=bool(files))
    with transaction.atomic():
        lock(consultation)
        transitions.check_transition(consultation, "reply")
        if answer:
            transitions.check_transition(consultation, "answer")  # refused before anything is written
        now = timezone.now()
        stamps = {"last_outbound_at": now}
        if consultation.first_response_at is None and is_user(by):
            stamps["first_response_at"] = now
        message = append_message(
            consultation,
            direction=Direction.OUT,
            body=body,
            author=by,
            payload=payload,
            delivery_status=DeliveryStatus.PENDING,
            files=files,
            stamps=stamps,
        )
        record(
            "message.replied",
            message,
            by=by,
            office=consultation.office,
            after={"consultation": consultation.pk, "seq": message.seq, "attachments": len(files)},
        )
        publish_message(message)
        enqueue_delivery(message.pk)
        if answer:
            mark_answered(consultation, by=by)
    return message


def ask_clarification(consultation: Consultation, *, by: Actor, body: str) -> Message:
    """An officer records that the request is not yet clear and asks the visitor (`body`, sent as a reply). Allowed
    once, before anyone marked the request clear, and only within the first-response target: then the SLA clock
    waits for the visitor's answer (`record_clarification_answer`) instead of running from the request's arrival.
    Later the clock has already started and a question is the office's time (docs/sla.md)."""
    if not is_user(by):
        raise NotAllowed(_("Hanya petugas yang dapat meminta penjelasan permintaan."))
    body = clean_body(body, has_files=False)
    with transaction.atomic():
        lock(consultation)
        transitions.check_transition(consultation, "ask_clarification")
        if consultation.request_clear_at is not None:
            raise InvalidTransition(_("Permintaan sudah ditandai jelas."))
        if consultation.clarification_asked_at is not None:
            raise InvalidTransition(_("Penjelasan permintaan sudah pernah diminta; jam SLA tidak dapat ditunda lagi."))
        now = timezone.now()
        due = consultation.first_response_due_at
        if due is not None and now > due:
            raise NotAllowed(
                _(
                    "Batas respons pertama sudah lewat: jam SLA berjalan sejak permintaan diterima. Tanyakan tetap "
                    "boleh, tetapi sebagai balasan biasa."
                )
            )
        before = snapshot(consultation, ["clarification_asked_at", "sla_started_at", "due_at"])
        consultation.clarification_asked_at = now
        changed = ["clarification_asked_at", *clock_changes(consultation)]
        consultation.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        record(
            "consultation.clarification_asked",
            consultation,
            by=by,
            office=consultation.office,
            before=before,
            after=snapshot(consultation, ["clarification_asked_at", "sla_started_at", "due_at"]),
        )
        message = post_reply(consultation, by=by, body=body, payload={"clarification": True})
        publish_consultation(consultation)
    return message


def add_note(consultation: Consultation, *, by: Actor, body: str) -> Message:
    """An internal note: part of the transcript for staff, never sent, never shown to the visitor."""
    body = clean_body(body, has_files=False)
    with transaction.atomic():
        lock(consultation)
        transitions.check_transition(consultation, "note")
        message = append_message(consultation, direction=Direction.OUT, kind=MessageKind.NOTE, body=body, author=by)
        record("message.note", message, by=by, office=consultation.office, after={"consultation": consultation.pk})
        publish_message(message)
    return message


def set_topic(consultation: Consultation, *, by: Actor, topic: str, subject: str = "") -> Consultation:
    """Tag the consultation's topic (data, metadata, classification) and its statistical subject."""
    if topic not in Topic.values:
        raise InvalidInput(
            _("Topik tidak dikenal: %(topic)s. Pilih salah satu: %(choices)s.")
            % {"topic": topic, "choices": ", ".join(Topic.values)}
        )
    subject = " ".join((subject or "").split())
    if len(subject) > 200:
        raise InvalidInput(_("Subjek statistik terlalu panjang (maksimal 200 karakter)."))
    with transaction.atomic():
        lock(consultation)
        transitions.check_transition(consultation, "set_topic")
        before = snapshot(consultation, ["topic", "subject"])
        consultation.topic, consultation.subject = topic, subject
        consultation.save(update_fields=["topic", "subject", "updated_at"])
        record(
            "consultation.topic",
            consultation,
            by=by,
            office=consultation.office,
            before=before,
            after=snapshot(consultation, ["topic", "subject"]),
        )
        publish_consultation(consultation)
    return consultation
