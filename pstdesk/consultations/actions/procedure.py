"""The status moves of the procedure after a consultation opened: answered, rating requested, closed in the office's
order, reopened."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pstdesk.audit.actions import record
from pstdesk.consultations import transitions
from pstdesk.consultations.actions.outbox import post_automatic_message
from pstdesk.consultations.actions.requirements import clock_changes
from pstdesk.consultations.effects import (
    lock,
    publish_consultation,
    snapshot,
)
from pstdesk.consultations.models import (
    Consultation,
)
from pstdesk.lib.actors import Actor, SystemActor, is_user
from pstdesk.lib.errors import InvalidTransition, NotAllowed
from pstdesk.offices.policy import ClosingOrder

log = logging.getLogger(__name__)


def _move(consultation: Consultation, action: str, *, by: Actor, verb: str, stamp: dict[str, Any]) -> None:
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


def mark_answered(consultation: Consultation, *, by: Actor) -> Consultation:
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
        by=SystemActor("rating"),
    )


def request_rating(consultation: Consultation, *, by: Actor) -> Consultation:
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


def _is_supervisor(by: Actor) -> bool:
    return is_user(by) and by.sees_subtree


def close_consultation(consultation: Consultation, *, by: Actor, without_rating: bool = False) -> Consultation:
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


def reopen_consultation(consultation: Consultation, *, by: Actor) -> Consultation:
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
        clock = clock_changes(consultation)
        if clock:
            consultation.save(update_fields=clock)
    return consultation
