"""Recording a rating (penilaian dan umpan balik). One per consultation, in the office's order of rating and
closing (checked against `consultations.transitions.TRANSITIONS`)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.consultations import transitions
from pstdesk.consultations.effects import lock, publish_consultation, snapshot
from pstdesk.consultations.models import Consultation
from pstdesk.lib.errors import AlreadyRated, InvalidInput
from pstdesk.ratings.models import Rating

FEEDBACK_MAX_CHARS = 4000


def record_rating(
    consultation: Consultation,
    *,
    by: Any,
    score: int,
    feedback: str = "",
    gratuity: bool = False,
    illegal_fee: bool = False,
    channel: str,
) -> Rating:
    """Store the visitor's score (1–5), feedback and the two integrity answers (was a gratuity asked for or given;
    was an illegal fee charged). 5102 (rate, then close): answered/awaiting_rating → rated. 5101 (close, then
    rate): only once closed; the status stays closed and `rated_at` is set. A second rating is refused."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput(_("Nilai harus bilangan bulat 1 sampai 5."))
    feedback = (feedback or "").strip()
    if len(feedback) > FEEDBACK_MAX_CHARS:
        raise InvalidInput(_("Umpan balik terlalu panjang (maksimal %(max)d karakter).") % {"max": FEEDBACK_MAX_CHARS})
    channel = (channel or "")[:20]
    with transaction.atomic():
        lock(consultation)
        if consultation.rated_at is not None or Rating.objects.filter(consultation=consultation).exists():
            raise AlreadyRated(_("Konsultasi ini sudah dinilai; penilaian hanya sekali."))
        target = transitions.check_transition(consultation, "record_rating")
        before = snapshot(consultation, ["status", "rated_at"])
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    consultation=consultation,
                    score=score,
                    feedback=feedback,
                    gratuity=bool(gratuity),
                    illegal_fee=bool(illegal_fee),
                    channel=channel,
                )
        except IntegrityError:  # a concurrent rating won
            raise AlreadyRated(_("Konsultasi ini sudah dinilai; penilaian hanya sekali.")) from None
        consultation.status = target
        consultation.rated_at = timezone.now()
        consultation.save(update_fields=["status", "rated_at", "updated_at"])
        record(
            "rating.recorded",
            rating,
            by=by,
            office=consultation.office,
            before=before,
            after={
                **snapshot(consultation, ["status", "rated_at"]),
                "consultation": consultation.pk,
                "score": score,
                "gratuity": bool(gratuity),
                "illegal_fee": bool(illegal_fee),
                "channel": channel,
            },
        )
        publish_consultation(consultation)
    return rating
