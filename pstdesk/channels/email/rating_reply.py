"""A rating given by replying to the closing e-mail (Jembrana's e-mail procedure, step 4: "the visitor gives the
rating and feedback on the quality of the service received, by e-mail").

The closing e-mail (the rating request) asks the visitor to reply with a number from 1 to 5, and optionally the two
integrity answers. A reply to a consultation that is closed and waiting for its rating (office order "close, then
rate", a rating request sent, no rating yet) is read here:

- the SCORE is a number 1–5 that opens the reply ("5", "4 - cukup baik", "5/5") or follows a label
  ("nilai: 4", "rating 5", "skor 3", "bintang 4", "score: 4"); any other number in the text is not a score, so
  "saya perlu data 2 tahun lagi" is never read as a rating;
- the INTEGRITY answers, when the reply gives them, on lines such as "imbalan: tidak", "pungli: ya"
  ("gratifikasi", "gratuity", "illegal fee"/"pungutan liar"); unanswered means "no", as on the link page;
- the FEEDBACK is the rest of the reply (the quoted closing e-mail is already removed by the parser).

The reply is stored in the closed consultation WITHOUT reopening it, and the rating is recorded through
`ratings.actions.record_rating` (channel "email"). A reply without a score is an ordinary message (it reopens the
consultation within the office's reopen window, as before). The link page stays as a second way.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from pstdesk.consultations.actions import post_automatic_message
from pstdesk.consultations.models import Consultation, Status
from pstdesk.lib.actors import ChannelActor, VisitorActor
from pstdesk.lib.errors import DomainError
from pstdesk.ratings.actions import record_rating

log = logging.getLogger(__name__)

_LEADING_SCORE = re.compile(r"^\s*[\"'(\[]?([1-5])(?:\s*/\s*5)?(?!\d|[.,:/]\d)")
_LABELLED_SCORE = re.compile(
    r"\b(?:nilai|penilaian|rating|skor|score|bintang|stars?)\s*(?:saya|kami|my)?\s*[:=\-]?\s*([1-5])(?:\s*/\s*5)?(?!\d|[.,:/]\d)",
    re.IGNORECASE,
)
_YES = r"(ya|iya|yes|ada|pernah)"
_GRATUITY = re.compile(
    r"^\s*[-*•]?\s*(imbalan|gratifikasi|gratuity)\b[^:\n]{0,40}[:=\-][ \t]*(?P<answer>\w+)[^\n]*", re.I | re.M
)
_FEE = re.compile(
    r"^\s*[-*•]?\s*(pungli|pungutan(\s+liar)?|illegal\s+fee)\b[^:\n]{0,40}[:=\-][ \t]*(?P<answer>\w+)[^\n]*",
    re.I | re.M,
)


@dataclass(frozen=True)
class RatingReply:
    """What a reply to the closing e-mail says: the score, the feedback, the two integrity answers."""

    score: int
    feedback: str
    gratuity: bool
    illegal_fee: bool
    # The reply as it is kept in the transcript: the integrity lines taken out (staff read them, if the office
    # allows, only in the rating itself; a line "pungli: ya" in the transcript would tell the officer concerned).
    transcript_text: str = ""


def _answer(pattern: re.Pattern[str], text: str) -> tuple[bool, str]:
    """(answered yes, text without that line)."""
    match = pattern.search(text)
    if match is None:
        return False, text
    yes = bool(re.fullmatch(_YES, match.group("answer").strip(), re.IGNORECASE))
    return yes, text[: match.start()] + text[match.end() :]


def read_rating_reply(text: str) -> RatingReply | None:
    """The rating in a reply's text, or None when the reply gives no score (see the module docstring)."""
    text = (text or "").strip()
    if not text:
        return None
    gratuity, rest = _answer(_GRATUITY, text)
    illegal_fee, rest = _answer(_FEE, rest)
    match = _LEADING_SCORE.match(rest) or _LABELLED_SCORE.search(rest)
    if match is None:
        return None
    score = int(match.group(1))
    feedback = (rest[: match.start()] + rest[match.end() :]).strip(" \t\n-–—:.,;")
    feedback = re.sub(r"\n{3,}", "\n\n", feedback).strip()
    kept = re.sub(r"\n{3,}", "\n\n", rest).strip()
    if rest != text:
        kept += "\n\n" + _("(jawaban pertanyaan integritas: lihat penilaian)")
    return RatingReply(
        score=score, feedback=feedback, gratuity=gratuity, illegal_fee=illegal_fee, transcript_text=kept.strip()
    )


def consultation_awaiting_reply_rating(office_code: str, consultation_id: int | None) -> Any:
    """The consultation a reply rates: closed, of an office that closes before rating, asked for its rating and
    not rated yet; None otherwise."""
    if consultation_id is None:
        return None

    consultation = (
        Consultation.objects.select_related("office")
        .filter(pk=consultation_id, office_id=office_code, status=Status.CLOSED, rated_at__isnull=True)
        .first()
    )
    if consultation is None or consultation.rating_requested_at is None:
        return None
    if not consultation.office.policy.closes_before_rating:
        return None
    return consultation


def rating_reply_for(office_code: str, consultation_id: int | None, text: str) -> RatingReply | None:
    """The rating in this reply, when it answers a closing e-mail that waits for one; else None."""
    if consultation_awaiting_reply_rating(office_code, consultation_id) is None:
        return None
    return read_rating_reply(text)


def record_rating_reply(consultation: Any, reply: RatingReply) -> bool:
    """Record the rating of a reply (the reply itself is already stored). Thanks the visitor by e-mail. A
    rating that came in meanwhile (the link page) wins: the reply stays an ordinary stored message."""

    try:
        record_rating(
            consultation,
            by=VisitorActor(consultation.visitor_id),
            score=reply.score,
            feedback=reply.feedback,
            gratuity=reply.gratuity,
            illegal_fee=reply.illegal_fee,
            channel="email",
        )
    except DomainError as exc:
        log.info("rating reply for consultation %s not recorded: %s", consultation.pk, exc.message)
        return False
    post_automatic_message(
        consultation,
        body=_("Terima kasih, penilaian Anda (%(score)d dari 5) telah kami catat.") % {"score": reply.score},
        payload={"rating_thanks": True},
        by=ChannelActor("email"),
    )
    return True


def rating_request_instructions() -> str:
    """The lines of the closing e-mail that say how to rate by replying (in the active language)."""
    return "\n".join(
        [
            _("Beri penilaian dengan membalas e-mail ini: tulis angka 1 sampai 5 pada baris pertama"),
            _("(1 = sangat buruk, 5 = sangat baik), lalu umpan balik Anda bila ada. Bila berkenan, tambahkan juga:"),
            _("Imbalan: ya/tidak (apakah petugas meminta atau menerima imbalan?)"),
            _("Pungli: ya/tidak (apakah ada pungutan liar?)"),
        ]
    )
