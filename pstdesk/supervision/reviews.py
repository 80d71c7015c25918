"""Transcript review against the SOP: a monthly sample of closed consultations per officer (random but
reproducible: the same office, month and officer always give the same sample), reviews on the office's checklist,
and the officer's reply. Every change is an action with an audit row."""

from __future__ import annotations

import random
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.models import User
from pstdesk.audit.actions import record
from pstdesk.consultations.models import Consultation, Status
from pstdesk.lib.actors import Actor, is_user
from pstdesk.lib.errors import InvalidInput, NotAllowed
from pstdesk.lib.events import publish_on_commit, user_group
from pstdesk.offices.models import Office
from pstdesk.supervision.actions import can_supervise
from pstdesk.supervision.models import Answer, ReviewChecklist, TranscriptReview, default_checklist, review_score


def per_officer() -> int:
    """How many closed consultations per officer are sampled each month (settings.REVIEW_SAMPLE_PER_OFFICER)."""
    return max(1, int(getattr(settings, "REVIEW_SAMPLE_PER_OFFICER", 2)))


def month_bounds(office: Office, month: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(office.timezone)
    start = datetime.combine(month.replace(day=1), time.min, tzinfo=zone)
    following = (month.replace(day=28) + (date(2000, 1, 31) - date(2000, 1, 27))).replace(day=1)
    return start, datetime.combine(following, time.min, tzinfo=zone)


def monthly_sample(office: Office, month: date, *, n: int | None = None) -> dict[Any, list[Consultation]]:
    """{officer id: consultations}: up to `n` consultations closed in `month` (office-local) per officer who
    handled them, drawn with a generator seeded by office, month and officer, so the sample is the same every
    time it is drawn (and does not change when other officers' consultations are added)."""
    n = n or per_officer()
    start, end = month_bounds(office, month)
    rows = list(
        Consultation.objects.filter(
            office=office, status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end, assigned_to__isnull=False
        )
        .select_related("assigned_to")
        .order_by("pk")
    )
    by_officer: dict[Any, list[Consultation]] = {}
    for c in rows:
        by_officer.setdefault(c.assigned_to_id, []).append(c)
    sample = {}
    for officer_id, items in sorted(by_officer.items()):
        rng = random.Random(f"{office.pk}:{month:%Y-%m}:{officer_id}")
        picked = rng.sample(items, min(n, len(items)))
        sample[officer_id] = sorted(picked, key=lambda c: c.pk)
    return sample


def checklist_for(office: Office) -> list[dict[str, str]]:
    row = ReviewChecklist.objects.filter(office=office).first()
    return list(row.items) if row is not None else default_checklist()


def set_checklist(office: Office, *, items: list[dict[str, str]], by: Actor) -> ReviewChecklist:
    """Replace the office's review checklist (a supervisor of the office)."""
    if not can_supervise(by, office):
        raise NotAllowed(_("Hanya koordinator kantor ini yang dapat mengubah daftar periksa."))
    clean = [
        {"code": str(i.get("code", "")).strip()[:40], "label": str(i.get("label", "")).strip()[:200]} for i in items
    ]
    clean = [i for i in clean if i["code"] and i["label"]]
    if not clean:
        raise InvalidInput(_("Daftar periksa tidak boleh kosong."))
    with transaction.atomic():
        row, _created = ReviewChecklist.objects.get_or_create(office=office)
        before = {"items": row.items}
        row.items = clean
        row.save(update_fields=["items", "updated_at"])
        record("review.checklist_changed", row, by=by, office=office, before=before, after={"items": clean})
    return row


NOTE_CHARS = 500


def _answers(
    checklist: list[dict[str, str]], scores: dict[str, Any], notes: dict[str, str] | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Clean answers {code: "yes"|"no"|"na"} for every checklist item (True/False accepted as yes/no) and notes
    {code: text} of the items that have one. An item missing or with an unknown answer is refused: a review says
    something about every item."""
    answers: dict[str, str] = {}
    for item in checklist:
        value = scores.get(item["code"])
        if value is True:
            value = Answer.YES
        elif value is False:
            value = Answer.NO
        if value not in Answer.values:
            raise InvalidInput(_("Pilih ya, tidak atau tidak berlaku untuk: %(item)s.") % {"item": item["label"]})
        answers[item["code"]] = str(value)
    clean_notes = {}
    for item in checklist:
        text = str((notes or {}).get(item["code"], "")).strip()
        if len(text) > NOTE_CHARS:
            raise InvalidInput(
                _("Catatan untuk %(item)s terlalu panjang (paling banyak %(n)d karakter).")
                % {"item": item["label"], "n": NOTE_CHARS}
            )
        if text:
            clean_notes[item["code"]] = text
    return answers, clean_notes


def review_transcript(
    consultation: Consultation,
    *,
    by: User,
    scores: dict[str, Any],
    comment: str,
    notes: dict[str, str] | None = None,
) -> TranscriptReview:
    """A supervisor reviews a closed consultation on the office's checklist: every item yes, no or not applicable
    (`scores`), optional notes per item, a comment; the score is the share of yes among the applicable items. The
    officer who handled it is told. One review per consultation (a second is refused: edit it instead)."""
    office = consultation.office
    if not can_supervise(by, office):
        raise NotAllowed(_("Hanya koordinator kantor ini yang dapat meninjau transkrip."))
    if consultation.status != Status.CLOSED or consultation.closed_at is None:
        raise InvalidInput(_("Hanya konsultasi yang sudah ditutup yang ditinjau."))
    checklist = checklist_for(office)
    answers, clean_notes = _answers(checklist, scores, notes)
    with transaction.atomic():
        try:
            with transaction.atomic():
                review = TranscriptReview.objects.create(
                    consultation=consultation,
                    office=office,
                    officer=consultation.assigned_to,
                    reviewer=by,
                    month=consultation.closed_at.astimezone(ZoneInfo(office.timezone)).date().replace(day=1),
                    checklist=checklist,
                    scores=answers,
                    notes=clean_notes,
                    score=review_score(answers),
                    comment=(comment or "").strip(),
                )
        except IntegrityError:
            raise InvalidInput(_("Transkrip ini sudah ditinjau.")) from None
        record(
            "review.created",
            consultation,
            by=by,
            office=office,
            after={
                "review": review.pk,
                "scores": answers,
                "notes": clean_notes,
                "score": review.score,
                "officer": consultation.assigned_to_id,
            },
        )
        if review.officer_id:
            publish_on_commit(
                [user_group(review.officer_id)],
                {"type": "review.created", "review": review.pk, "consultation": consultation.pk},
            )
    return review


def update_review(
    review: TranscriptReview,
    *,
    by: User,
    scores: dict[str, Any],
    comment: str,
    notes: dict[str, str] | None = None,
) -> TranscriptReview:
    """A supervisor of the office corrects a review on the checklist it was made with; the audit row keeps the
    answers, notes, score and comment before and after. The officer is told again (their read mark is cleared
    when anything changed)."""
    if not can_supervise(by, review.office):
        raise NotAllowed(_("Hanya koordinator kantor ini yang dapat meninjau transkrip."))
    answers, clean_notes = _answers(review.checklist, scores, notes)
    text = (comment or "").strip()
    with transaction.atomic():
        review = TranscriptReview.objects.select_for_update().get(pk=review.pk)
        fields = ("scores", "notes", "score", "comment")
        before = {name: getattr(review, name) for name in fields}
        after = {"scores": answers, "notes": clean_notes, "score": review_score(answers), "comment": text}
        if before == after:
            return review
        for name, value in after.items():
            setattr(review, name, value)
        review.updated_at = timezone.now()
        review.officer_read_at = None
        review.save(update_fields=[*fields, "updated_at", "officer_read_at"])
        record("review.updated", review, by=by, office=review.office, before=before, after=after)
        if review.officer_id:
            publish_on_commit(
                [user_group(review.officer_id)],
                {"type": "review.updated", "review": review.pk, "consultation": review.consultation_id},
            )
    return review


def comment_on_review(review: TranscriptReview, *, by: Actor, comment: str) -> TranscriptReview:
    """The reviewed officer reads the review and replies to it."""
    if not is_user(by) or by.pk != review.officer_id:  # the reviewed officer only
        raise NotAllowed(_("Hanya petugas yang ditinjau yang dapat menanggapi."))
    text = (comment or "").strip()
    if not text:
        raise InvalidInput(_("Tulis tanggapan."))
    with transaction.atomic():
        before = {"officer_comment": review.officer_comment}
        review.officer_comment = text
        review.officer_read_at = review.officer_read_at or timezone.now()
        review.save(update_fields=["officer_comment", "officer_read_at"])
        record("review.commented", review, by=by, office=review.office, before=before, after={"officer_comment": text})
    return review


def mark_review_read(review: TranscriptReview, *, by: Actor) -> TranscriptReview:
    """The reviewed officer opened the review (first time only)."""
    if not is_user(by) or by.pk != review.officer_id or review.officer_read_at is not None:
        return review
    with transaction.atomic():
        review.officer_read_at = timezone.now()
        review.save(update_fields=["officer_read_at"])
        record("review.read", review, by=by, office=review.office)
    return review
