"""Intake: every channel's inbound message enters here, is stored exactly once per (channel, external id) in the
consultation it continues (found, reopened or opened), and is followed by the steps that cannot lose it.

A channel's worker that stores many messages in one transaction (the WhatsApp webhook's batch) wraps them in
`intake_batch()`: the reads that cannot change within the batch are made once for it (see there).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.channels.base import InboundMessage
from pstdesk.consultations import out_of_hours
from pstdesk.consultations.actions.assignment import auto_assign, next_officer
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
from pstdesk.guestbook.actions import identify_visitor
from pstdesk.guestbook.models import Visitor, VisitorIdentity
from pstdesk.lib.actors import Actor, SystemActor, VisitorActor
from pstdesk.lib.errors import AttachmentRejected, InvalidInput
from pstdesk.lib.workdays import WorkCalendar
from pstdesk.offices.calendar import calendar_for, years_for
from pstdesk.offices.models import Office

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """What `receive_message` did: the stored message, its consultation, and whether it was new."""

    message: Message
    consultation: Consultation
    created: bool


@dataclass
class _Batch:
    """What the messages of one `intake_batch` share."""

    pinned: ExitStack
    absent: set[tuple[str, str]]
    offices: dict[str, Office | None] = field(default_factory=dict)
    calendars: dict[tuple[str, tuple[int, ...]], WorkCalendar] = field(default_factory=dict)
    nobody_free: set[str] = field(default_factory=set)

    def office(self, code: str) -> Office | None:
        if code not in self.offices:
            office = self.offices[code] = Office.objects.filter(code=code).first()
            if office is not None:
                self.pinned.enter_context(office.standard_pinned())
        return self.offices[code]

    def calendar(self, office: Office, now: datetime) -> WorkCalendar:
        key = (office.code, years_for(now))
        if key not in self.calendars:
            self.calendars[key] = calendar_for(office, years=key[1])
        return self.calendars[key]


_BATCH: ContextVar[_Batch | None] = ContextVar("intake_batch", default=None)


@contextmanager
def intake_batch(*, absent: Iterable[tuple[str, str]] = ()) -> Iterator[None]:
    """Inbound messages received within the block (a worker's batch, in one transaction: a fraction of a second)
    share the reads that cannot change within it: each office is read once with its service standard pinned, its
    calendar once (the out-of-hours reply), and "nobody on duty has room" once per office (an officer who goes on
    duty meanwhile is offered the next message's consultation). `absent` are the (channel, external id) the caller
    has just looked up and not found: they are not looked up again (the unique key still decides a race)."""
    if _BATCH.get() is not None:  # nested: the outer block decides
        yield
        return
    with ExitStack() as pinned:
        token = _BATCH.set(_Batch(pinned=pinned, absent=set(absent)))
        try:
            yield
        finally:
            _BATCH.reset(token)


def _find_inbound(inbound: InboundMessage) -> Message | None:
    if not inbound.external_id:
        return None
    batch = _BATCH.get()
    if batch is not None and (inbound.channel, inbound.external_id) in batch.absent:
        batch.absent.discard((inbound.channel, inbound.external_id))  # a second one in the batch is looked up
        return None
    # A new message is the common case: ask for the key alone, and load the row only when it is there.
    keys = Message.objects.filter(channel=inbound.channel, external_id=inbound.external_id).order_by()
    found = list(keys.values_list("pk", flat=True)[:1])
    if not found:
        return None
    return Message.objects.select_related("consultation", "consultation__office").filter(pk=found[0]).first()


def _identify_visitor(inbound: InboundMessage) -> Any:

    if inbound.visitor_id is not None:
        visitor = Visitor.objects.filter(pk=inbound.visitor_id).first()
        seen = set()
        while visitor is not None and visitor.merged_into_id and visitor.pk not in seen:
            seen.add(visitor.pk)
            visitor = Visitor.objects.filter(pk=visitor.merged_into_id).first()
        if visitor is not None:
            return visitor

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


def _known_sender_consultation(inbound: InboundMessage, office: Office) -> Consultation | None:
    """The common case of a channel that names its sender by ids it proved (WhatsApp's wa_id or user id): a known
    sender writing in an active consultation, whom `identify_visitor` would find and add nothing to (every key of
    the sender is already the visitor's identity, the number and a name are there). The consultation and its
    visitor in one query, no lock on the visitor (nothing of it changes). None whenever the full lookup is needed."""
    sender = inbound.sender
    if inbound.consultation_id is not None or sender is None or not sender.verified or sender.email:
        return None
    keys = sender.keys()
    if not keys:
        return None
    (kind, key), wanted = keys[0], Q()
    for other_kind, other_key in keys:
        wanted |= Q(kind=other_kind, key=other_key)
    held = (
        VisitorIdentity.objects.filter(wanted, visitor=OuterRef("visitor_id"))
        .order_by()
        .values("visitor")
        .annotate(n=Count("pk"))
        .values("n")
    )
    candidate = (
        Consultation.objects.select_related("visitor")
        .filter(
            office=office,
            channel=inbound.channel,
            visitor__erased_at__isnull=True,
            visitor__merged_into__isnull=True,
            visitor__identities__kind=kind,
            visitor__identities__key=key,
        )
        .active()
        .annotate(held_keys=Subquery(held))
        .order_by("-created_at", "-pk")
        .first()
    )
    if candidate is None or getattr(candidate, "held_keys", None) != len(keys):
        return None  # a key would be added (or belongs to someone else): the full lookup decides
    visitor = candidate.visitor
    if sender.phone and not visitor.whatsapp:
        return None  # the number would be added
    if sender.display_name.strip() and not visitor.name:
        return None  # the name would be added
    candidate.office = office
    return candidate


def _consultation_for(inbound: InboundMessage, office: Office, visitor: Any, now: datetime) -> tuple[Consultation, str]:
    """The consultation the message belongs to and how it was found: "existing", "reopened" or "opened"."""

    def reopen_days() -> int:  # the standard is read only when a closed consultation is in question
        return office.policy.reopen_days

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
                    batch = _BATCH.get()
                    office = (
                        batch.office(inbound.office_code)
                        if batch is not None
                        else Office.objects.filter(code=inbound.office_code).first()
                    )
                    if office is None:
                        raise InvalidInput(_("Kantor %(code)s tidak dikenal.") % {"code": inbound.office_code})
                    pinned.enter_context(office.standard_pinned())
                    consultation = _known_sender_consultation(inbound, office)
                    if consultation is None:
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


def follow_up_inbound(consultation: Consultation, inbound: InboundMessage, now: datetime) -> None:
    """The follow-ups `receive_message` runs after storing a message, for a message stored another way: the
    widget's lean append (`channels/web/append.py`) runs them after its own commit when one can change something."""
    _after_inbound(consultation, inbound, now)


def _after_inbound(consultation: Consultation, inbound: InboundMessage, now: datetime) -> None:
    """The follow-ups of a stored message, each skipped when it cannot change anything (the status and assignee
    were read back when the message took its seq): requirements only move a consultation that is new or waiting
    for them, and an assigned or closed one is not auto-assigned. What each would do is decided by a read first
    (most messages change nothing); only a step that writes gets its own savepoint."""
    by = VisitorActor(consultation.visitor_id)

    if consultation.status in (Status.NEW, Status.AWAITING_REQUIREMENTS):
        if _decide(consultation, lambda: requirements_would_change(consultation, missing_requirements(consultation))):
            _follow_up(consultation, lambda: refresh_requirements(consultation, by=by))
    if consultation.clarification_asked_at is not None and consultation.clarification_answered_at is None:
        _follow_up(consultation, lambda: record_clarification_answer(consultation, at=now, by=by))
    if consultation.assigned_to_id is None and consultation.status != Status.CLOSED:
        if _decide(consultation, lambda: _someone_free(consultation)):
            _follow_up(consultation, lambda: auto_assign(consultation))
    if consultation.status != Status.CLOSED:  # a rating answer to a closed consultation needs no "we are closed"
        text = _decide(consultation, lambda: _out_of_hours_text(consultation, inbound, now))
        if text:
            _follow_up(consultation, lambda: _out_of_hours(consultation, inbound, now, text))


def _decide(consultation: Consultation, read: Any) -> Any:
    """A follow-up's read; its failure is logged and decides "nothing to do" (the message is stored)."""
    try:
        return read()
    except Exception:
        log.exception("follow-up of inbound message on %s failed", consultation)
        return None


def _someone_free(consultation: Consultation) -> bool:
    """Whether an officer on duty may have room (`auto_assign` decides again); within a batch, an office where
    nobody had room is not asked again."""
    batch = _BATCH.get()
    if batch is None:
        return True  # auto_assign asks
    if consultation.office_id in batch.nobody_free:
        return False
    if next_officer(consultation.office_id) is None:
        batch.nobody_free.add(consultation.office_id)
        return False
    return True


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


def _out_of_hours_text(consultation: Consultation, inbound: InboundMessage, now: datetime) -> str | None:

    batch = _BATCH.get()
    if batch is None:  # the calendar is read by the reply's rules
        return out_of_hours.out_of_hours_reply(consultation, now=now, auto_submitted=inbound.auto_submitted)
    cal = batch.calendar(consultation.office, now)
    return out_of_hours.out_of_hours_reply(consultation, now=now, auto_submitted=inbound.auto_submitted, cal=cal)


def _out_of_hours(consultation: Consultation, inbound: InboundMessage, now: datetime, text: str) -> None:
    """Post the out-of-hours reply `text`, decided without a lock (the common answer is "not due"), under the
    consultation's lock, re-deciding if another reply or an officer's message came in between, so two messages
    arriving at once get one reply."""
    seen = (consultation.last_auto_reply_at, consultation.last_outbound_at, consultation.status)
    with transaction.atomic():
        lock(consultation)
        if (consultation.last_auto_reply_at, consultation.last_outbound_at, consultation.status) != seen:
            if consultation.status == Status.CLOSED:
                return
            text = _out_of_hours_text(consultation, inbound, now) or ""
        if text:
            post_automatic_message(
                consultation, body=text, payload={"out_of_hours": True}, by=SystemActor("out_of_hours")
            )
