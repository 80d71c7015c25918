"""The conversation parts the WhatsApp channel runs itself: the guestbook prompt and topic list on a new
consultation, and the rating dialog (score list → two yes/no integrity questions → feedback text or skip).

Interactive reply ids are `pst:<what>:<consultation id>:<value>`. Every state change goes through the core's
actions (`post_automatic_message`, `set_topic`, `ratings.actions.record_rating`); the dialog's own progress is in
`RatingDialog`, moved forward with conditional updates so a redelivered reply is a no-op.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import override

from pstdesk.channels.whatsapp.models import RatingDialog, RatingStep
from pstdesk.channels.whatsapp.outbound import buttons, list_message
from pstdesk.consultations.actions import post_automatic_message, set_topic
from pstdesk.guestbook.requirements import missing_requirements, requirements_message
from pstdesk.lib.actors import ChannelActor, VisitorActor
from pstdesk.lib.errors import DomainError
from pstdesk.lib.signing import guestbook_url
from pstdesk.ratings.actions import record_rating
from pstdesk.ratings.links import rating_url

log = logging.getLogger(__name__)

TOPICS = (("data", "Data"), ("metadata", "Metadata"), ("classification", "Klasifikasi"))
BY = ChannelActor("whatsapp")


@dataclass(frozen=True)
class Reply:
    what: str
    consultation_id: int
    value: str


def parse_reply(reply_id: str) -> Reply | None:
    parts = reply_id.split(":")
    if len(parts) != 4 or parts[0] != "pst":
        return None
    try:
        return Reply(parts[1], int(parts[2]), parts[3])
    except ValueError:
        return None


def _language(consultation: Any) -> str:
    return getattr(consultation.visitor, "language", "id") or "id"


def greet_new_consultation(consultation: Any) -> None:
    """On a new consultation: the requirement status with the signed link to the web guestbook (if anything is
    missing), then the topic list."""

    language = _language(consultation)
    missing = missing_requirements(consultation)
    if missing:
        link = guestbook_url(consultation.visitor, consultation.office, consultation.pk)
        text = requirements_message(missing, language=language, link=link)
        post_automatic_message(consultation, body=text, payload={"guestbook_prompt": True, "missing": missing}, by=BY)
    with override(language):
        body = _("Topik apa yang ingin Anda konsultasikan?")
        rows = [(f"pst:topic:{consultation.pk}:{code}", label, "") for code, label in TOPICS]
        post_automatic_message(
            consultation,
            body=body,
            payload={"whatsapp": list_message(body, _("Pilih topik"), rows, section=_("Topik")), "topic_prompt": True},
            by=BY,
        )


def handle_reply(reply: Reply, consultation: Any, *, by: VisitorActor, text: str = "") -> bool:
    """Act on a pressed button / chosen row. Returns True when it was ours."""

    if reply.consultation_id != consultation.pk:
        return False
    if reply.what == "topic":
        if reply.value in {code for code, _label in TOPICS}:
            set_topic(consultation, by=by, topic=reply.value)
            return True
        return False
    if reply.what in {"score", "gratuity", "fee", "feedback"}:
        rating_answer(consultation, reply, by=by)
        return True
    return False


def _ask(consultation: Any, step: str) -> None:

    cid = consultation.pk
    with override(_language(consultation)):
        yes_no = [(f"pst:{{}}:{cid}:yes", _("Ya")), (f"pst:{{}}:{cid}:no", _("Tidak"))]
        if step == RatingStep.GRATUITY:
            body = _("Apakah petugas meminta atau menerima imbalan dalam layanan ini?")
            options = [(rid.format("gratuity"), title) for rid, title in yes_no]
        elif step == RatingStep.ILLEGAL_FEE:
            body = _("Apakah ada pungutan liar (biaya tidak resmi) dalam layanan ini?")
            options = [(rid.format("fee"), title) for rid, title in yes_no]
        elif step == RatingStep.FEEDBACK:
            body = _("Tulis saran atau masukan Anda untuk layanan kami, atau tekan Lewati.")
            options = [(f"pst:feedback:{cid}:skip", _("Lewati"))]
        else:
            return
        post_automatic_message(
            consultation, body=body, payload={"whatsapp": buttons(body, options), "rating_step": step}, by=BY
        )


NEXT = {
    RatingStep.SCORE: RatingStep.GRATUITY,
    RatingStep.GRATUITY: RatingStep.ILLEGAL_FEE,
    RatingStep.ILLEGAL_FEE: RatingStep.FEEDBACK,
    RatingStep.FEEDBACK: RatingStep.DONE,
}
EXPECTS = {
    "score": RatingStep.SCORE,
    "gratuity": RatingStep.GRATUITY,
    "fee": RatingStep.ILLEGAL_FEE,
    "feedback": RatingStep.FEEDBACK,
}


def rating_answer(consultation: Any, reply: Reply, *, by: VisitorActor, feedback: str = "") -> None:
    """One answer of the rating dialog; an answer for another step than the current one is ignored (repeats,
    late presses)."""
    step = EXPECTS[reply.what]
    dialog, _created = RatingDialog.objects.get_or_create(consultation=consultation)
    if dialog.step != step:
        return
    fields: dict[str, Any] = {}
    if step == RatingStep.SCORE:
        if reply.value not in {"1", "2", "3", "4", "5"}:
            return
        fields["score"] = int(reply.value)
    elif step == RatingStep.GRATUITY:
        fields["gratuity"] = reply.value == "yes"
    elif step == RatingStep.ILLEGAL_FEE:
        fields["illegal_fee"] = reply.value == "yes"
    elif step == RatingStep.FEEDBACK:
        fields["feedback"] = "" if reply.value == "skip" else feedback.strip()[:2000]
    next_step = NEXT[step]
    moved = RatingDialog.objects.filter(pk=dialog.pk, step=step).update(step=next_step, **fields)
    if not moved:
        return
    if next_step != RatingStep.DONE:
        _ask(consultation, next_step)
        return
    dialog.refresh_from_db()
    _record(consultation, dialog, by=by)


def feedback_text(consultation: Any, text: str, *, by: VisitorActor) -> None:
    rating_answer(consultation, Reply("feedback", consultation.pk, "text"), by=by, feedback=text)


def _record(consultation: Any, dialog: RatingDialog, *, by: VisitorActor) -> None:

    try:
        record_rating(
            consultation,
            by=by,
            score=dialog.score or 0,
            feedback=dialog.feedback,
            gratuity=bool(dialog.gratuity),
            illegal_fee=bool(dialog.illegal_fee),
            channel="whatsapp",
        )
    except DomainError as exc:  # already rated (from another channel), or the office's order refuses it now
        log.info("WhatsApp rating of %s not recorded: %s", consultation, exc.message)
        with override(_language(consultation)):
            post_automatic_message(consultation, body=exc.message, payload={"rating_refused": True}, by=BY)
        return

    with override(_language(consultation)):
        # The optional SKM questionnaire follows the rating: the visitor has just written, so the 24-hour window
        # is open and a plain text with the link to the questionnaire page may be sent.
        skm_offer = _("Bersediakah Anda mengisi Survei Kepuasan Masyarakat (9 pertanyaan singkat, opsional)? %(url)s")
        post_automatic_message(
            consultation,
            body=_("Terima kasih atas penilaian dan masukan Anda.")
            + "\n\n"
            + skm_offer % {"url": rating_url(consultation)},
            payload={"rating_thanks": True, "skm_link": True},
            by=BY,
        )
