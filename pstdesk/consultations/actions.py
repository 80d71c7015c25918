"""The consultation procedure as named actions. Every state change of a consultation or message goes through here:
one transaction, the transition checked against `transitions.TRANSITIONS`, `save(update_fields=...)`, an audit row,
and the real-time event published after commit.

Decisions (see docs/architecture.md, "consultations.actions"):
- "Answered" is explicit (`mark_answered`, or `answer=True` on the API's reply): an officer's reply may be a
  clarifying question, and the SLA is met by the answer, not by any reply.
- Claiming a consultation is "accepting" it (DESIGN.md): it marks the request clear if nobody has.
- Messages are their own record (author, time, seq); inbound messages write an audit row only when they open or
  reopen a consultation, officer replies, notes and automatic messages write one each.
- Events: the office group gets the staff view (`message_dict(for_staff=True)`, notes included); the
  consultation group (which the visitor's widget also joins) gets the public view and never a note.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pstdesk.audit.actions import record
from pstdesk.channels.base import InboundMessage
from pstdesk.consultations import transitions
from pstdesk.consultations.access import get_consultation_for
from pstdesk.consultations.assignment import (
    assign_consultation,
    auto_assign,
    claim_consultation,
    set_on_duty,
    staffing_warning,
    transfer_consultation,
)
from pstdesk.consultations.attachments import ValidFile, validate_attachment, validate_attachments
from pstdesk.consultations.canned import delete_canned_reply, render_canned_reply, save_canned_reply
from pstdesk.consultations.delivery import mark_read_by_office, update_delivery_status
from pstdesk.consultations.effects import (
    append_message,
    is_user,
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
    Status,
    Topic,
)
from pstdesk.lib.errors import AttachmentRejected, InvalidInput, InvalidTransition, NotAllowed
from pstdesk.lib.events import consultation_group, office_group, publish_on_commit
from pstdesk.offices.models import ClosingOrder, Office

log = logging.getLogger(__name__)

SYSTEM = "system"


@dataclass(frozen=True)
class Received:
    """What `receive_message` did: the stored message, its consultation, and whether it was new."""

    message: Message
    consultation: Consultation
    created: bool


def _clean_body(body: str, *, has_files: bool) -> str:
    body = (body or "").strip()
    if not body and not has_files:
        raise InvalidInput(_("Pesan kosong: tulis isi pesan atau lampirkan berkas."))
    if len(body) > settings.MESSAGE_MAX_CHARS:
        raise InvalidInput(
            _("Pesan terlalu panjang (%(n)d karakter); batasnya %(max)d.")
            % {"n": len(body), "max": settings.MESSAGE_MAX_CHARS}
        )
    return body


def _enqueue_delivery(message_id: int) -> None:
    def enqueue() -> None:
        try:
            from pstdesk.consultations.tasks import deliver_message

            deliver_message(message_id)
        except Exception:  # the sweep will pick the row up; a committed reply is never lost
            log.exception("enqueueing delivery of message %s failed", message_id)

    transaction.on_commit(enqueue)


# --- intake ---------------------------------------------------------------------------------------------------


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
            reopen_consultation(candidate, by=f"visitor:{visitor.pk}")
            return candidate, "reopened"
    return open_consultation(office=office, visitor=visitor, channel=inbound.channel, title=inbound.body), "opened"


def open_consultation(*, office: Office, visitor: Any, channel: str, title: str = "", by: Any = None) -> Consultation:
    """A new consultation in status `new`, with its first-response deadline. Called by `receive_message`."""
    with transaction.atomic():
        consultation = Consultation.objects.create(
            office=office, visitor=visitor, channel=channel, status=Status.NEW, title=" ".join(title.split())[:200]
        )
        consultation.office = office
        # The visitor's request arrived with this message: the clock runs from here once the requirements are
        # complete, whether or not an officer marks the request clear (docs/sla.md).
        consultation.request_received_at = consultation.created_at
        fields = {"request_received_at": consultation.request_received_at, **_sla_fields(consultation)}
        for name, value in fields.items():
            setattr(consultation, name, value)
        if fields:
            consultation.save(update_fields=list(fields))
        record(
            "consultation.opened",
            consultation,
            by=by or f"visitor:{visitor.pk}",
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
    by = f"visitor:{consultation.visitor_id}"

    def requirements() -> None:  # read first: most messages change nothing, and need no lock for that
        if _requirements_would_change(consultation, missing_requirements(consultation)):
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
            post_automatic_message(consultation, body=text, payload={"out_of_hours": True}, by="system:out_of_hours")


# --- requirements, request clear, SLA -------------------------------------------------------------------------


def missing_requirements(consultation: Consultation) -> list[str]:
    """The requirement codes still missing (a read: `guestbook.requirements.missing_requirements`)."""
    from pstdesk.guestbook.requirements import missing_requirements

    return [str(code) for code in missing_requirements(consultation)]


def _sla_fields(consultation: Consultation) -> dict[str, Any]:
    from pstdesk.consultations.sla import sla_fields_for

    return dict(sla_fields_for(consultation))


def _advance(consultation: Consultation, *, now: datetime) -> list[str]:
    """Move a consultation that is not yet open according to its two conditions. Returns the changed fields."""
    if consultation.status not in (Status.NEW, Status.AWAITING_REQUIREMENTS):
        return []
    complete = consultation.requirements_complete_at is not None
    clear = consultation.request_clear_at is not None
    if complete and clear:
        action = "open"
    elif not complete and consultation.status == Status.NEW:
        action = "await_requirements"
    elif complete and consultation.status == Status.AWAITING_REQUIREMENTS:
        action = "requirements_complete"
    else:
        return []
    consultation.status = transitions.check_transition(consultation, action)
    return ["status"]


def _clock(consultation: Consultation) -> list[str]:
    """Start, move or stop the SLA clock after one of its inputs changed (requirements, the request's moment, a
    clarification): the SLA fields are recomputed only when `sla_start_of` differs from the stored start (the
    calendar is read only then). Returns the changed fields; the caller saves them."""
    from pstdesk.consultations.sla import sla_start_of

    if sla_start_of(consultation) == consultation.sla_started_at:
        return []
    fields = _sla_fields(consultation)
    for name, value in fields.items():
        setattr(consultation, name, value)
    return list(fields)


def _requirements_would_change(consultation: Consultation, missing: list[str]) -> bool:
    """Whether `refresh_requirements` would change the consultation as loaded (a read: the same rules as
    `refresh_requirements` and `_advance`, without writing)."""
    if consultation.status not in (Status.NEW, Status.AWAITING_REQUIREMENTS):
        return False
    complete = not missing
    if complete != (consultation.requirements_complete_at is not None):
        return True
    if complete and consultation.request_clear_at is not None:
        return True  # it would open
    return consultation.status != (Status.NEW if complete else Status.AWAITING_REQUIREMENTS)


def refresh_requirements(consultation: Consultation, *, by: Any) -> list[str]:
    """Re-evaluate the office's requirements for this consultation (guestbook, verified e-mail, WhatsApp number,
    introduction), record when they became complete, and move new/awaiting_requirements accordingly; when the
    request is also clear the consultation opens and its SLA clock starts. Returns the missing requirement codes.
    Once open, a consultation does not move back (the clock has started)."""
    with transaction.atomic():
        lock(consultation)
        before = snapshot(consultation, ["status", "requirements_complete_at"])
        missing = missing_requirements(consultation)
        now = timezone.now()
        changed: list[str] = []
        if consultation.status in (Status.NEW, Status.AWAITING_REQUIREMENTS):
            if not missing and consultation.requirements_complete_at is None:
                consultation.requirements_complete_at = now
                changed.append("requirements_complete_at")
            elif missing and consultation.requirements_complete_at is not None:
                consultation.requirements_complete_at = None
                changed.append("requirements_complete_at")
            changed += _advance(consultation, now=now)
            changed += _clock(consultation)
        if changed:
            consultation.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
            record(
                "consultation.requirements",
                consultation,
                by=by,
                office=consultation.office,
                before=before,
                after={
                    **snapshot(consultation, ["status", "requirements_complete_at", "sla_started_at", "due_at"]),
                    "missing": missing,
                },
            )
            publish_consultation(consultation)
    return missing


def refresh_visitor_requirements(visitor: Any, office: Office | str, *, by: Any) -> list[Consultation]:
    """The visitor gave something a standard may require (the guestbook, a verified e-mail): re-check their
    consultations at `office` that still wait for requirements (new or awaiting_requirements; an open one never
    moves back). One place for the guestbook page, the widget and any channel. A consultation whose re-check
    fails is logged and left as it is (what the visitor gave is already saved; the console shows the state).
    Returns the consultations re-checked."""
    office_code = office if isinstance(office, str) else office.code
    waiting = list(
        Consultation.objects.filter(
            visitor_id=visitor.pk, office_id=office_code, status__in=[Status.NEW, Status.AWAITING_REQUIREMENTS]
        ).select_related("office", "visitor")
    )
    for consultation in waiting:
        try:
            refresh_requirements(consultation, by=by)
        except Exception:
            log.warning("refresh_requirements failed for consultation %s", consultation.pk, exc_info=True)
    return waiting


def mark_introduction_given(consultation: Consultation, *, by: Any) -> Consultation:
    """The visitor introduced themself (name and institution), as 5101's e-mail procedure asks first: set
    `Consultation.introduction_given` and re-evaluate the requirements (which may open the consultation).
    Idempotent: a second call changes nothing and writes no audit row. The e-mail intake calls it when a mail
    matches its heuristic; `accept_introduction` is the officer's way."""
    with transaction.atomic():
        locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if locked.introduction_given:
            return locked
        locked.introduction_given = True
        locked.save(update_fields=["introduction_given", "updated_at"])
        record(
            "consultation.introduction_given",
            locked,
            by=by,
            office=locked.office,
            before={"introduction_given": False},
            after={"introduction_given": True},
        )
        publish_on_commit(
            [office_group(locked.office_id), consultation_group(locked.pk)],
            {"type": "consultation.updated", "consultation": locked.pk, "office": locked.office_id},
        )
        refresh_requirements(locked, by=by)
    consultation.introduction_given = True
    return locked


def accept_introduction(consultation: Consultation, *, by: Any) -> Consultation:
    """An officer accepts the visitor's introduction (5101's e-mail procedure, step 1) when the mail did not match
    the heuristic: only staff of an office that may see the consultation (404 otherwise, as everywhere), only
    while the introduction is still missing. Audited as "consultation.introduction_given" with the officer as
    actor; the requirements are re-evaluated, so the consultation does not wait for an introduction forever."""
    if is_user(by):
        consultation = get_consultation_for(by, consultation.pk)
    return mark_introduction_given(consultation, by=by)


def mark_request_clear(consultation: Consultation, *, by: Any) -> Consultation:
    """An officer states that the visitor's request is clear. With the requirements complete the consultation
    opens and the SLA clock starts (at the later of the two moments)."""
    with transaction.atomic():
        lock(consultation)
        if consultation.request_clear_at is not None:
            raise InvalidTransition(_("Permintaan sudah ditandai jelas."))
        transitions.check_transition(consultation, "mark_request_clear")
        before = snapshot(consultation, ["status", "request_clear_at"])
        now = timezone.now()
        consultation.request_clear_at = now
        changed = ["request_clear_at", *_advance(consultation, now=now), *_clock(consultation)]
        consultation.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        record(
            "consultation.request_clear",
            consultation,
            by=by,
            office=consultation.office,
            before=before,
            after=snapshot(consultation, ["status", "request_clear_at", "sla_started_at", "due_at"]),
        )
        publish_consultation(consultation)
    return consultation


def ask_clarification(consultation: Consultation, *, by: Any, body: str) -> Message:
    """An officer records that the request is not yet clear and asks the visitor (`body`, sent as a reply). Allowed
    once, before anyone marked the request clear, and only within the first-response target: then the SLA clock
    waits for the visitor's answer (`record_clarification_answer`) instead of running from the request's arrival.
    Later the clock has already started and a question is the office's time (docs/sla.md)."""
    if not is_user(by):
        raise NotAllowed(_("Hanya petugas yang dapat meminta penjelasan permintaan."))
    body = _clean_body(body, has_files=False)
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
        changed = ["clarification_asked_at", *_clock(consultation)]
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


def record_clarification_answer(consultation: Consultation, *, at: datetime, by: Any) -> Consultation:
    """The visitor wrote after a clarification question: the request's moment is now (`at`) and the SLA clock
    starts if the requirements are complete. Called for the first inbound message after the question; a second
    call changes nothing."""
    with transaction.atomic():
        lock(consultation)
        asked = consultation.clarification_asked_at
        if asked is None or consultation.clarification_answered_at is not None or at < asked:
            return consultation
        before = snapshot(consultation, ["clarification_answered_at", "sla_started_at", "due_at"])
        consultation.clarification_answered_at = at
        changed = ["clarification_answered_at", *_clock(consultation)]
        consultation.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        record(
            "consultation.clarification_answered",
            consultation,
            by=by,
            office=consultation.office,
            before=before,
            after=snapshot(consultation, ["clarification_answered_at", "sla_started_at", "due_at"]),
        )
        publish_consultation(consultation)
    return consultation


# --- messages from the office -----------------------------------------------------------------------------------


def post_reply(
    consultation: Consultation,
    *,
    by: Any,
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
    body = _clean_body(body, has_files=bool(files))
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
        _enqueue_delivery(message.pk)
        if answer:
            mark_answered(consultation, by=by)
    return message


def post_automatic_message(
    consultation: Consultation, *, body: str, payload: dict[str, Any] | None = None, by: Any = SYSTEM
) -> Message:
    """A message the system sends (out-of-hours reply, rating request, requirement reminder): an outbox row like a
    reply, marked `is_automatic`, allowed in any status (a closed 5101 consultation still asks for its rating). It
    does not count as the first response."""
    body = _clean_body(body, has_files=False)
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
        _enqueue_delivery(message.pk)
    return message


def add_note(consultation: Consultation, *, by: Any, body: str) -> Message:
    """An internal note: part of the transcript for staff, never sent, never shown to the visitor."""
    body = _clean_body(body, has_files=False)
    with transaction.atomic():
        lock(consultation)
        transitions.check_transition(consultation, "note")
        message = append_message(consultation, direction=Direction.OUT, kind=MessageKind.NOTE, body=body, author=by)
        record("message.note", message, by=by, office=consultation.office, after={"consultation": consultation.pk})
        publish_message(message)
    return message


def set_topic(consultation: Consultation, *, by: Any, topic: str, subject: str = "") -> Consultation:
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


# --- the procedure ----------------------------------------------------------------------------------------------


def _move(consultation: Consultation, action: str, *, by: Any, verb: str, stamp: dict[str, Any]) -> None:
    """Shared body of the status actions (inside the caller's transaction, consultation locked)."""
    target = transitions.check_transition(consultation, action)
    before = snapshot(consultation, ["status", *stamp])
    consultation.status = target
    for name, value in stamp.items():
        setattr(consultation, name, value)
    consultation.save(update_fields=["status", *stamp, "updated_at"])
    record(
        verb,
        consultation,
        by=by,
        office=consultation.office,
        before=before,
        after=snapshot(consultation, ["status", *stamp]),
    )
    publish_consultation(consultation)


def mark_answered(consultation: Consultation, *, by: Any) -> Consultation:
    """The officer has given the statistical information (open → answered); `answered_at` is what the SLA
    measures."""
    with transaction.atomic():
        lock(consultation)
        _move(consultation, "answer", by=by, verb="consultation.answered", stamp={"answered_at": timezone.now()})
    return consultation


RATING_REQUEST_TEXT = gettext_noop(
    "Terima kasih telah menggunakan layanan konsultasi statistik. Mohon beri penilaian (1–5) dan umpan balik "
    "atas layanan kami."
)


def _ask_for_rating(consultation: Consultation) -> None:
    post_automatic_message(
        consultation,
        body=_(RATING_REQUEST_TEXT),
        payload={"rating_request": True},
        by="system:rating",
    )


def request_rating(consultation: Consultation, *, by: Any) -> Consultation:
    """Ask the visitor for a rating: in 5102's order answered → awaiting_rating (again as a reminder); in 5101's
    order only after closing (closing asks automatically; this re-sends). The request is an automatic outbox
    message with `payload={"rating_request": True}` that each channel renders its own way."""
    with transaction.atomic():
        lock(consultation)
        if consultation.rated_at is not None:
            raise InvalidTransition(_("Konsultasi ini sudah dinilai."))
        _move(
            consultation,
            "request_rating",
            by=by,
            verb="consultation.rating_requested",
            stamp={"rating_requested_at": timezone.now()},
        )
        _ask_for_rating(consultation)
    return consultation


def _is_supervisor(by: Any) -> bool:
    return is_user(by) and bool(getattr(by, "sees_subtree", False))


def close_consultation(consultation: Consultation, *, by: Any, without_rating: bool = False) -> Consultation:
    """Close in the office's order. 5102 (rate, then close): only a rated consultation closes, except
    `without_rating=True` on an awaiting_rating one after `transitions.RATING_WAIT` since the request (at any time
    for a supervisor). 5101 (close, then rate): an answered consultation closes and the rating is requested."""
    with transaction.atomic():
        lock(consultation)
        now = timezone.now()
        action = "close_without_rating" if without_rating else "close"
        transitions.check_transition(consultation, action)
        if without_rating and not _is_supervisor(by):
            requested = consultation.rating_requested_at
            if requested is None or now - requested < transitions.RATING_WAIT:
                raise NotAllowed(
                    _(
                        "Tunggu penilaian pengguna: penutupan tanpa penilaian baru boleh %(hours)d jam setelah "
                        "penilaian diminta (atau oleh koordinator)."
                    )
                    % {"hours": int(transitions.RATING_WAIT.total_seconds() // 3600)}
                )
        stamp: dict[str, Any] = {"closed_at": now}
        order = transitions.closing_order_of(consultation)
        ask = order == ClosingOrder.CLOSE_THEN_RATE and consultation.rated_at is None
        if ask:
            stamp["rating_requested_at"] = now
        _move(consultation, action, by=by, verb="consultation.closed", stamp=stamp)
        if ask:
            _ask_for_rating(consultation)
    return consultation


def reopen_consultation(consultation: Consultation, *, by: Any) -> Consultation:
    """A closed consultation starts again (closed → new): the visitor wrote within the standard's `reopen_days`.
    The new request arrived now, so a new SLA clock starts now (the requirements stay complete); the officer marks
    it clear again to open it. The rating (one per consultation) and the first response are kept."""
    with transaction.atomic():
        lock(consultation)
        stamp = {
            "closed_at": None,
            "answered_at": None,
            "rating_requested_at": None,
            "request_clear_at": None,
            "request_received_at": timezone.now(),
            "clarification_asked_at": None,
            "clarification_answered_at": None,
            "sla_started_at": None,
            "due_at": None,
            "reopened_count": consultation.reopened_count + 1,
        }
        _move(consultation, "reopen", by=by, verb="consultation.reopened", stamp=stamp)
        clock = _clock(consultation)
        if clock:
            consultation.save(update_fields=clock)
    return consultation


__all__ = [
    "Received",
    "accept_introduction",
    "add_note",
    "ask_clarification",
    "assign_consultation",
    "auto_assign",
    "claim_consultation",
    "close_consultation",
    "mark_answered",
    "mark_introduction_given",
    "mark_read_by_office",
    "mark_request_clear",
    "missing_requirements",
    "open_consultation",
    "post_automatic_message",
    "post_reply",
    "publish_message",
    "receive_message",
    "record_clarification_answer",
    "refresh_requirements",
    "refresh_visitor_requirements",
    "render_canned_reply",
    "save_canned_reply",
    "delete_canned_reply",
    "reopen_consultation",
    "request_rating",
    "set_on_duty",
    "set_topic",
    "staffing_warning",
    "transfer_consultation",
    "update_delivery_status",
]
