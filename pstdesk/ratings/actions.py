"""Recording a rating (penilaian dan umpan balik). One per consultation, in the office's order of rating and
closing (checked against `consultations.transitions.TRANSITIONS`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.consultations import transitions
from pstdesk.consultations.effects import lock, publish_consultation, snapshot
from pstdesk.consultations.models import Consultation
from pstdesk.lib.errors import AlreadyAnswered, AlreadyRated, InvalidInput, InvalidTransition
from pstdesk.lib.events import office_group, publish_on_commit
from pstdesk.offices.models import Office
from pstdesk.ratings import skm
from pstdesk.ratings.models import Rating, SkmResponse, SkmSource

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


PROFILE_FIELDS = ("sex", "age_group", "education", "occupation", "institution_category", "purpose", "disability")


def _profile_snapshot(consultation: Consultation) -> dict[str, Any]:
    """The respondent's guestbook codes at the time of answering (codes only: no name, contact or free text)."""
    from pstdesk.guestbook.models import GuestbookEntry

    entry = consultation.guestbook_entry
    if entry is None:
        entry = (
            GuestbookEntry.objects.filter(visitor_id=consultation.visitor_id, office_id=consultation.office_id)
            .order_by("-filled_at")
            .first()
        )
    if entry is None:
        return {}
    return {name: getattr(entry, name) for name in PROFILE_FIELDS}


def submit_skm(consultation: Consultation, *, by: Any, answers: Mapping[str, object], channel: str) -> SkmResponse:
    """Store the visitor's SKM questionnaire for a consultation, keyed by element id, with a snapshot of their
    guestbook profile. Optional and at most once per consultation: a second submission raises `AlreadyAnswered`
    and changes nothing. Offered after the rating, so only for a consultation that has been answered; at least one
    element must be answered."""
    try:
        cleaned = skm.clean_answers(answers)
    except ValueError as exc:
        raise InvalidInput(_("Jawaban survei tidak sah: %(error)s") % {"error": exc}) from None
    if not cleaned:
        raise InvalidInput(_("Jawab sekurang-kurangnya satu pertanyaan survei."))
    with transaction.atomic():
        lock(consultation)
        if consultation.answered_at is None:
            raise InvalidTransition(_("Survei kepuasan diisi setelah konsultasi dijawab."))
        if SkmResponse.objects.filter(consultation=consultation).exists():
            raise AlreadyAnswered(_("Survei kepuasan untuk konsultasi ini sudah diisi; terima kasih."))
        try:
            with transaction.atomic():
                response = SkmResponse.objects.create(
                    office_id=consultation.office_id,
                    consultation=consultation,
                    answers=cleaned,
                    profile=_profile_snapshot(consultation),
                    channel=(channel or "")[:20],
                    source=SkmSource.ONLINE,
                    submitted_at=timezone.now(),
                )
        except IntegrityError:  # a concurrent submission won
            raise AlreadyAnswered(_("Survei kepuasan untuk konsultasi ini sudah diisi; terima kasih.")) from None
        record(
            "skm.submitted",
            response,
            by=by,
            office=consultation.office,
            after={"consultation": consultation.pk, "answers": cleaned, "channel": response.channel},
        )
        publish_on_commit(
            [office_group(consultation.office.code)],
            {"type": "skm.submitted", "office": consultation.office.code, "consultation": consultation.pk},
        )
    return response


@dataclass(frozen=True)
class PaperRow:
    """One questionnaire of a paper import: when it was filled and its answers keyed by element id."""

    line: int
    submitted_at: datetime
    answers: dict[str, int]


def import_skm(office: Office, *, by: Any, rows: Sequence[PaperRow]) -> list[SkmResponse]:
    """Store paper questionnaires collected at the office, all or nothing (the caller has validated every row,
    see `ratings.skm_import.read_csv`). One audit row for the import."""
    if not rows:
        raise InvalidInput(_("Berkas tidak berisi kuesioner."))
    with transaction.atomic():
        created = SkmResponse.objects.bulk_create(
            [
                SkmResponse(
                    office=office,
                    answers=row.answers,
                    channel="paper",
                    source=SkmSource.PAPER,
                    submitted_at=row.submitted_at,
                )
                for row in rows
            ]
        )
        record(
            "skm.imported",
            office,
            by=by,
            office=office,
            after={"count": len(created), "first": rows[0].submitted_at.isoformat()},
        )
    return created
