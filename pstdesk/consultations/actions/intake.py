"""Intake: every channel's inbound message enters here, is stored exactly once per (channel, external id) in the
consultation it continues (found, reopened or opened), and is followed by the steps that cannot lose it."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.channels.base import InboundMessage
from pstdesk.consultations.actions.assignment import auto_assign
from pstdesk.consultations.actions.outbox import post_automatic_message
from pstdesk.consultations.actions.procedure import reopen_consultation
from pstdesk.consultations.actions.requirements import (
    missing_requirements,
    record_clarification_answer,
    refresh_requirements,
    requirements_would_change,
    sla_fields,
)
from pstdesk.consultations.attachments import ValidFile, validate_attachment
from pstdesk.consultations.effects import (
    append_message,
    lock,
    publish_consultation,
    publish_message,
)
from pstdesk.consultations.models import (
    Consultation,
    Direction,
    Message,
    Status,
)
from pstdesk.lib.actors import Actor, SystemActor, VisitorActor
from pstdesk.lib.errors import AttachmentRejected, InvalidInput
from pstdesk.offices.models import Office

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """What `receive_message` did: the stored message, its consultation, and whether it was new."""

    message: Message
    consultation: Consultation
    created: bool


def _find_inbound(inbound: InboundMessage) -> Message | None:
    if not inbound.external_id:
        return None
    # A new message is the common case: ask for the key alone, and load the row only when it is there.
    keys = Message.objects.filter(channel=inbound.channel, external_id=inbound.external_id).order_by()
    found = list(keys.values_list("pk", flat=True)[:1])
    if not found:
        return None
    return Message.objects.select_related("consultation", "consultation__office").filter(pk=found[0]).first()


def _identify_visitor(inbound: InboundMessage) -> Any:
    from pstdesk.guestbook.models import Visitor

    if inbound.visitor_id is not None:
        visitor = Visitor.objects.filter(pk=inbound.visitor_id).first()
        seen = set()
        while visitor is not None and visitor.merged_into_id and visitor.pk not in seen:
            seen.add(visitor.pk)
            visitor = Visitor.objects.filter(pk=visitor.merged_into_id).first()
        if visitor is not None:
            return visitor
    from pstdesk.guestbook.actions import identify_visitor

    return identify_visitor(inbound)


def _known_visitor_consultation(inbound: InboundMessage) -> Consultation | None:
    """The common case of a channel that knows its visitor (the widget): the active consultation the message
    continues, read with its office and visitor in one query. None whenever the full lookup of `_consultation_for`
    is needed (a named consultation, no active one, a merged visitor)."""
    if inbound.visitor_id is None or inbound.consultation_id is not None:
        return None
    candidate = (
        Consultation.objects.select_related("office", "visitor")
        .filter(office_id=inbound.office_code, visitor_id=inbound.visitor_id, channel=inbound.channel)
        .active()
        .order_by("-created_at", "-pk")
        .first()
    )
    if candidate is None or candidate.visitor.merged_into_id is not None:
        return None
    return candidate


def _consultation_for(inbound: InboundMessage, office: Office, visitor: Any, now: datetime) -> tuple[Consultation, str]:
    """The consultation the message belongs to and how it was found: "existing", "reopened" or "opened"."""

    def reopen_days() -> int:  # the standard is read only when a closed consultation is in question
        standard = office.standard
        return standard.reopen_days if standard is not None else 7

    candidate = None
    if inbound.consultation_id is not None:
        candidate = Consultation.objects.filter(pk=inbound.consultation_id, office=office).first()
        if candidate is None:
            log.warning(
                "inbound %s names consultation %s outside office %s; threading by visitor",
                inbound.external_id,
                inbound.consultation_id,
                office.code,
            )
    if candidate is None:
        candidate = (
            Consultation.objects.filter(office=office, visitor=visitor, channel=inbound.channel)
            .active()
            .order_by("-created_at", "-pk")
            .first()
        )
    if candidate is None:
        candidate = (
            Consultation.objects.filter(
                office=office,
                visitor=visitor,
                channel=inbound.channel,
                status=Status.CLOSED,
                closed_at__gte=now - timedelta(days=reopen_days()),
            )
            .order_by("-closed_at", "-pk")
            .first()
        )
    if candidate is not None:
        candidate.office = office
        if candidate.visitor_id == visitor.pk:
            candidate.visitor = visitor
        if candidate.status != Status.CLOSED or (not inbound.reopens and inbound.consultation_id == candidate.pk):
            return candidate, "existing"
        if candidate.closed_at is not None and candidate.closed_at >= now - timedelta(days=reopen_days()):
            reopen_consultation(candidate, by=VisitorActor(visitor.pk))
            return candidate, "reopened"
    return open_consultation(office=office, visitor=visitor, channel=inbound.channel, title=inbound.body), "opened"


def open_consultation(
    *, office: Office, visitor: Any, channel: str, title: str = "", by: Actor | None = None
) -> Consultation:
    """A new consultation in status `new`, with its first-response deadline. Called by `receive_message`."""
    with transaction.atomic():
        consultation = Consultation.objects.create(
            office=office, visitor=visitor, channel=channel, status=Status.NEW, title=" ".join(title.split())[:200]
        )
        consultation.office = office
        # The visitor's request arrived with this message: the clock runs from here once the requirements are
        # complete, whether or not an officer marks the request clear (docs/sla.md).
        consultation.request_received_at = consultation.created_at
        fields = {"request_received_at": consultation.request_received_at, **sla_fields(consultation)}
        for name, value in fields.items():
            setattr(consultation, name, value)
        if fields:
            consultation.save(update_fields=list(fields))
        record(
            "consultation.opened",
            consultation,
            by=by or VisitorActor(visitor.pk),
            office=office,
            after={"channel": channel, "visitor": visitor.pk, "status": consultation.status},
        )
        publish_consultation(consultation, event_type="consultation.created")
    return consultation


def receive_message(inbound: InboundMessage) -> Received:
    """The single entry of every channel: store one inbound message, exactly once per (channel, external_id).

    A repeated delivery returns the stored message with `created=False` (also under a race: the losing insert
    rolls back its whole savepoint and the winner's row is returned). Files that fail validation are not stored;
    the message keeps their names and the reason in `payload["rejected_attachments"]`, so nothing the visitor
    wrote is lost. After storing: requirements are refreshed while the consultation waits for them, the
    consultation is auto-assigned if nobody has it, and an out-of-hours reply is posted when due. Those
    follow-ups can never lose the message.
    """
    existing = _find_inbound(inbound)
    if existing is not None:
        return Received(existing, existing.consultation, False)
    files: list[ValidFile] = []
    rejected: list[dict[str, str]] = []
    for attachment in inbound.attachments:
        try:
            files.append(validate_attachment(attachment))
        except AttachmentRejected as exc:
            rejected.append({"filename": attachment.filename, "reason": exc.message})
    payload = dict(inbound.payload)
    if rejected:
        payload["rejected_attachments"] = rejected
    with ExitStack() as pinned:  # the office's standard is read once for the intake and its follow-ups
        try:
            with transaction.atomic():
                now = timezone.now()
                consultation = _known_visitor_consultation(inbound)
                if consultation is None:
                    office = Office.objects.filter(code=inbound.office_code).first()
                    if office is None:
                        raise InvalidInput(_("Kantor %(code)s tidak dikenal.") % {"code": inbound.office_code})
                    pinned.enter_context(office.standard_pinned())
                    visitor = _identify_visitor(inbound)
                    consultation, _how = _consultation_for(inbound, office, visitor, now)
                else:
                    pinned.enter_context(consultation.office.standard_pinned())
                message = append_message(
                    consultation,
                    direction=Direction.IN,
                    body=inbound.body or "",
                    channel=inbound.channel,
                    payload=payload,
                    external_id=inbound.external_id,
                    files=files,
                    stamps={"last_inbound_at": now},
                )
                publish_message(message)
        except IntegrityError:
            existing = _find_inbound(inbound)
            if existing is None:
                raise
            return Received(existing, existing.consultation, False)
        _after_inbound(consultation, inbound, now)
    return Received(message, consultation, True)


def _after_inbound(consultation: Consultation, inbound: InboundMessage, now: datetime) -> None:
    """The follow-ups of a stored message, each skipped when it cannot change anything (the status and assignee
    were read back when the message took its seq): requirements only move a consultation that is new or waiting
    for them, and an assigned or closed one is not auto-assigned."""
    by = VisitorActor(consultation.visitor_id)

    def requirements() -> None:  # read first: most messages change nothing, and need no lock for that
        if requirements_would_change(consultation, missing_requirements(consultation)):
            refresh_requirements(consultation, by=by)

    if consultation.status in (Status.NEW, Status.AWAITING_REQUIREMENTS):
        _follow_up(consultation, requirements)
    if consultation.clarification_asked_at is not None and consultation.clarification_answered_at is None:
        _follow_up(consultation, lambda: record_clarification_answer(consultation, at=now, by=by))
    if consultation.assigned_to_id is None and consultation.status != Status.CLOSED:
        _follow_up(consultation, lambda: auto_assign(consultation))
    if consultation.status != Status.CLOSED:  # a rating answer to a closed consultation needs no "we are closed"
        _follow_up(consultation, lambda: _out_of_hours(consultation, inbound, now))


def _follow_up(consultation: Consultation, step: Any) -> None:
    """Run one follow-up so that its failure cannot lose the stored message. Inside a caller's transaction (the
    WhatsApp webhook) it gets its own savepoint; standalone, the step's own transactions are enough and a step
    that only reads opens none."""
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                step()
        else:
            step()
    except Exception:  # the message is stored; a failing follow-up must not lose it
        log.exception("follow-up of inbound message on %s failed", consultation)


def _out_of_hours(consultation: Consultation, inbound: InboundMessage, now: datetime) -> None:
    """Post the out-of-hours reply when due. Decided without a lock (the common answer is "not due"); when due,
    posted under the consultation's lock, re-deciding if another reply or an officer's message came in between,
    so two messages arriving at once get one reply."""
    from pstdesk.consultations import out_of_hours

    seen = (consultation.last_auto_reply_at, consultation.last_outbound_at, consultation.status)
    text = out_of_hours.out_of_hours_reply(consultation, now=now, auto_submitted=inbound.auto_submitted)
    if not text:
        return
    with transaction.atomic():
        lock(consultation)
        if (consultation.last_auto_reply_at, consultation.last_outbound_at, consultation.status) != seen:
            if consultation.status == Status.CLOSED:
                return
            text = out_of_hours.out_of_hours_reply(consultation, now=now, auto_submitted=inbound.auto_submitted)
        if text:
            post_automatic_message(
                consultation, body=text, payload={"out_of_hours": True}, by=SystemActor("out_of_hours")
            )
