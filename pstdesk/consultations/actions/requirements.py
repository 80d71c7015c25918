"""Whether a consultation may open: the office's requirements, the request being clear, the visitor's answer to a
clarifying question, and the SLA clock those inputs start or move (docs/sla.md)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.models import User
from pstdesk.audit.actions import record
from pstdesk.consultations import transitions
from pstdesk.consultations.access import get_consultation_for
from pstdesk.consultations.effects import (
    lock,
    publish_consultation,
    snapshot,
)
from pstdesk.consultations.models import (
    Consultation,
    Status,
)
from pstdesk.consultations.sla import sla_fields_for, sla_start_of
from pstdesk.guestbook import requirements as guestbook_requirements
from pstdesk.lib.actors import Actor
from pstdesk.lib.errors import InvalidTransition
from pstdesk.lib.events import consultation_group, office_group, publish_on_commit
from pstdesk.offices.models import Office

log = logging.getLogger(__name__)


def missing_requirements(consultation: Consultation) -> list[str]:
    """The requirement codes still missing (a read: `guestbook.requirements.missing_requirements`)."""
    return [str(code) for code in guestbook_requirements.missing_requirements(consultation)]


def sla_fields(consultation: Consultation) -> dict[str, Any]:

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


def clock_changes(consultation: Consultation) -> list[str]:
    """Start, move or stop the SLA clock after one of its inputs changed (requirements, the request's moment, a
    clarification): the SLA fields are recomputed only when `sla_start_of` differs from the stored start (the
    calendar is read only then). Returns the changed fields; the caller saves them."""

    if sla_start_of(consultation) == consultation.sla_started_at:
        return []
    fields = sla_fields(consultation)
    for name, value in fields.items():
        setattr(consultation, name, value)
    return list(fields)


def requirements_would_change(consultation: Consultation, missing: list[str]) -> bool:
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


def refresh_requirements(consultation: Consultation, *, by: Actor) -> list[str]:
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
            changed += clock_changes(consultation)
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


def refresh_visitor_requirements(visitor: Any, office: Office | str, *, by: Actor) -> list[Consultation]:
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


def mark_introduction_given(consultation: Consultation, *, by: Actor) -> Consultation:
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


def accept_introduction(consultation: Consultation, *, by: User) -> Consultation:
    """An officer accepts the visitor's introduction (5101's e-mail procedure, step 1) when the mail did not match
    the heuristic: only staff of an office that may see the consultation (404 otherwise, as everywhere), only
    while the introduction is still missing. Audited as "consultation.introduction_given" with the officer as
    actor; the requirements are re-evaluated, so the consultation does not wait for an introduction forever."""
    consultation = get_consultation_for(by, consultation.pk)
    return mark_introduction_given(consultation, by=by)


def mark_request_clear(consultation: Consultation, *, by: Actor) -> Consultation:
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
        changed = ["request_clear_at", *_advance(consultation, now=now), *clock_changes(consultation)]
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


def record_clarification_answer(consultation: Consultation, *, at: datetime, by: Actor) -> Consultation:
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
        changed = ["clarification_answered_at", *clock_changes(consultation)]
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
