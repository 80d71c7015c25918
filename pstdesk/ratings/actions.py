"""Recording a rating (penilaian dan umpan balik). One per consultation, in the office's order of rating and
closing (checked against `consultations.transitions.TRANSITIONS`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from pstdesk.accounts.access import visible_offices
from pstdesk.accounts.models import Role, User
from pstdesk.audit.actions import record
from pstdesk.consultations import transitions
from pstdesk.consultations.actions import post_automatic_message
from pstdesk.consultations.effects import lock, publish_consultation, snapshot
from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.models import GuestbookEntry
from pstdesk.lib.actors import Actor, SystemActor
from pstdesk.lib.errors import AlreadyAnswered, AlreadyRated, InvalidInput, InvalidTransition, NotAllowed
from pstdesk.lib.events import office_group, publish_on_commit, user_group
from pstdesk.offices.models import Office
from pstdesk.ratings import skm
from pstdesk.ratings.models import (
    AlertDecision,
    AlertReason,
    AlertStatus,
    Rating,
    RatingAlert,
    RatingPolicy,
    SkmResponse,
    SkmSource,
)

log = logging.getLogger(__name__)

FEEDBACK_MAX_CHARS = 4000


def record_rating(
    consultation: Consultation,
    *,
    by: Actor,
    score: int,
    feedback: str = "",
    gratuity: bool = False,
    illegal_fee: bool = False,
    channel: str,
) -> Rating:
    """Store the visitor's score (1–5), feedback and the two integrity answers (was a gratuity asked for or given;
    was an illegal fee charged). 5102 (rate, then close): answered/awaiting_rating → rated. 5101 (close, then
    rate): only once closed; the status stays closed and `rated_at` is set. A second rating is refused. A score of
    1–2 or a "yes" to an integrity question opens a `RatingAlert` for the supervisors (`open_rating_alert`). A
    visitor who reported a gratuity or an illegal fee is told in their channel that the report was passed on; in
    an office that hides integrity answers from officers every rater gets one same notice instead, so the
    transcript an officer reads never tells who reported."""
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
        reasons = alert_reasons(rating)
        alert = open_rating_alert(rating, by=by, reasons=reasons) if reasons else None
        if office_hides_integrity(consultation.office_id):
            # Every rater of the office gets the same notice, so the transcript the officer reads is the same
            # whether or not this visitor reported anything.
            _tell_visitor(consultation, INTEGRITY_NOTICE_PRIVATE, payload={"integrity_notice": True})
        elif alert is not None and alert.is_integrity:
            _tell_visitor(consultation, INTEGRITY_NOTICE_FORWARDED, payload={"integrity_report_forwarded": True})
    return rating


INTEGRITY_NOTICE_FORWARDED = gettext_lazy(
    "Laporan Anda tentang imbalan atau pungutan liar telah kami teruskan kepada pengawas pelayanan "
    "%(office)s untuk ditindaklanjuti. Terima kasih telah melapor."
)
INTEGRITY_NOTICE_PRIVATE = gettext_lazy(
    "Jawaban Anda tentang imbalan dan pungutan liar hanya dibaca oleh pengawas pelayanan %(office)s, tidak oleh "
    "petugas yang melayani Anda. Setiap laporan imbalan atau pungutan liar langsung kami teruskan kepada pengawas "
    "untuk ditindaklanjuti. Terima kasih."
)


def office_hides_integrity(office_code: str) -> bool:
    """Whether the office's `RatingPolicy` hides integrity answers from the officers."""
    return RatingPolicy.objects.filter(office_id=office_code, hide_integrity_from_officers=True).exists()


def _tell_visitor(consultation: Consultation, text: Any, *, payload: dict[str, Any]) -> None:
    """An automatic message in the visitor's channel, in their language."""
    with override(consultation.visitor.language or "id"):
        body = str(text) % {"office": consultation.office.name}
    post_automatic_message(consultation, body=body, payload=payload, by=SystemActor("ratings"))


# --- integrity and low-score alerts ------------------------------------------------------------------------------
LOW_SCORES = (1, 2)
DECISIONS = (AlertStatus.LOOKED_INTO, AlertStatus.ACTION_TAKEN, AlertStatus.UNFOUNDED)


def alert_reasons(rating: Rating) -> list[str]:
    """Why a rating needs a supervisor: a score of 1–2, a gratuity, an illegal fee (in that order)."""
    reasons = []
    if rating.score in LOW_SCORES:
        reasons.append(AlertReason.LOW_SCORE.value)
    if rating.gratuity:
        reasons.append(AlertReason.GRATUITY.value)
    if rating.illegal_fee:
        reasons.append(AlertReason.ILLEGAL_FEE.value)
    return reasons


def _supervisors(office: Office) -> list[Any]:
    return list(
        User.objects.filter(office=office, is_active=True, role__in=[Role.SUPERVISOR, Role.MANAGER]).order_by("pk")
    )


def open_rating_alert(rating: Rating, *, by: Actor, reasons: Sequence[str]) -> RatingAlert:
    """Open the follow-up item of a rating for the office's supervisors (called by `record_rating` in its
    transaction). After commit: an `rating.alert` event to the office's consoles and the supervisors, and an
    e-mail to the supervisors with an address (it names the consultation, never the visitor).

    When the office hides integrity answers from officers (`RatingPolicy`), an integrity alert goes only to the
    supervisors and managers who are not the officer concerned: no event to the office's consoles, no e-mail to
    the officer concerned (and the queue does not show it to them, see `views.alert_queue`)."""
    consultation = rating.consultation
    office = consultation.office
    with transaction.atomic():
        alert = RatingAlert.objects.create(
            office=office,
            rating=rating,
            consultation=consultation,
            officer_id=consultation.assigned_to_id,
            reasons=list(reasons),
        )
        record("rating_alert.opened", alert, by=by, office=office, after={"reasons": list(reasons)})
        private = alert.is_integrity and office_hides_integrity(office.code)
        supervisors = [p for p in _supervisors(office) if not (private and p.pk == alert.officer_id)]
        groups = [user_group(p.pk) for p in supervisors]
        publish_on_commit(
            groups if private else [office_group(office.code), *groups],
            {
                "type": "rating.alert",
                "office": office.code,
                "alert": alert.pk,
                "consultation": consultation.pk,
                "reasons": list(reasons),
            },
        )
        recipients = [p.email for p in supervisors if p.email]
        if recipients:
            transaction.on_commit(lambda: _mail_alert(alert.pk, recipients))
    return alert


def _mail_alert(alert_id: int, recipients: list[str]) -> None:
    """The supervisors' e-mail (a courtesy: the event and the queue carry the alert; a mail failure is logged)."""
    alert = RatingAlert.objects.select_related("office").get(pk=alert_id)
    subject = _("Tindak lanjut penilaian A#%(id)s: PST#%(consultation)s (%(office)s)") % {
        "id": alert.pk,
        "consultation": alert.consultation_id,
        "office": alert.office_id,
    }
    body = _(
        "Penilaian konsultasi PST#%(consultation)s memerlukan tindak lanjut: %(reasons)s.\n"
        "Buka antrean pengawasan: %(url)s"
    ) % {
        "consultation": alert.consultation_id,
        "reasons": ", ".join(alert.reason_labels()),
        "url": settings.PUBLIC_URL + reverse("ratings:alert", kwargs={"pk": alert.pk}),
    }
    try:
        send_mail(subject, body, None, recipients)
    except Exception:
        log.warning("alert mail for A#%s failed", alert_id, exc_info=True)


def decide_rating_alert(alert: RatingAlert, *, by: User, decision: str, text: str) -> AlertDecision:
    """A supervisor's step on an alert: looked into, action taken, or unfounded, always with a text. Appends to
    the decision trail and sets the alert's status. Only a supervisor, manager or administrator of the alert's
    office (or above it) may decide, and never the officer the alert concerns."""
    if decision not in DECISIONS:
        raise InvalidInput(_("Pilih keputusan: diperiksa, ditindak, atau tidak terbukti."))
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Tuliskan penjelasan keputusan."))
    if len(text) > FEEDBACK_MAX_CHARS:
        raise InvalidInput(_("Penjelasan terlalu panjang (maksimal %(max)d karakter).") % {"max": FEEDBACK_MAX_CHARS})
    allowed = by.is_superuser or by.role in {
        Role.SUPERVISOR,
        Role.MANAGER,
        Role.ADMIN,
    }
    if not allowed or not visible_offices(by).filter(pk=alert.office_id).exists() or by.pk == alert.officer_id:
        raise NotAllowed(_("Hanya pengawas kantor ini yang dapat memutuskan tindak lanjut."))
    with transaction.atomic():
        alert = RatingAlert.objects.select_for_update().get(pk=alert.pk)
        before = {"status": alert.status}
        step = AlertDecision.objects.create(alert=alert, decision=decision, text=text, decided_by=by)
        alert.status = decision
        alert.save(update_fields=["status", "updated_at"])
        record(
            "rating_alert.decided",
            alert,
            by=by,
            office=alert.office,
            before=before,
            after={"status": decision, "text": text},
        )
        publish_on_commit(
            [office_group(alert.office_id)],
            {"type": "rating.alert_decided", "office": alert.office_id, "alert": alert.pk, "status": decision},
        )
    return step


PROFILE_FIELDS = ("sex", "age_group", "education", "occupation", "institution_category", "purpose", "disability")


def _profile_snapshot(consultation: Consultation) -> dict[str, Any]:
    """The respondent's guestbook codes at the time of answering (codes only: no name, contact or free text)."""
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


def submit_skm(consultation: Consultation, *, by: Actor, answers: Mapping[str, object], channel: str) -> SkmResponse:
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


def import_skm(office: Office, *, by: Actor, rows: Sequence[PaperRow]) -> list[SkmResponse]:
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


def set_rating_policy(office: Office, *, by: Actor, hide_integrity_from_officers: bool) -> RatingPolicy:
    """Set whether the office hides the integrity answers of its ratings from officers (see `RatingPolicy`)."""
    with transaction.atomic():
        policy, _created = RatingPolicy.objects.select_for_update().get_or_create(office=office)
        before = {"hide_integrity_from_officers": policy.hide_integrity_from_officers}
        policy.hide_integrity_from_officers = bool(hide_integrity_from_officers)
        policy.save(update_fields=["hide_integrity_from_officers"])
        record(
            "rating_policy.set",
            policy,
            by=by,
            office=office,
            before=before,
            after={"hide_integrity_from_officers": policy.hide_integrity_from_officers},
        )
    return policy
