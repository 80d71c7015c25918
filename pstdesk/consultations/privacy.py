"""What the consultation core keeps of a visitor, for `guestbook.erasure` (registered in `apps.ready`): the
consultations' titles, every message's text, payload and delivery error, attachments (rows and files), the
ratings' feedback; their export; where to reach them. Each channel registers what it keeps itself (raw mails and
webhook bodies, recipients, widget sessions). The rows the reports count stay."""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.channels.base import capability
from pstdesk.consultations.actions import post_automatic_message
from pstdesk.consultations.models import Attachment, Consultation, Message
from pstdesk.consultations.serializers import PRIVATE_TO_VISITOR
from pstdesk.guestbook.erasure import ERASED, MIN_NEEDLE
from pstdesk.lib.actors import SystemActor
from pstdesk.ratings.models import Rating

log = logging.getLogger(__name__)


def consultations_of(visitor_ids: list[int]) -> list[int]:
    return list(Consultation.objects.filter(visitor_id__in=visitor_ids).values_list("pk", flat=True))


def needles_of(consultation_ids: list[int]) -> set[str]:
    """The visitor's own words, to find them quoted in raw channel payloads."""
    inbound = Message.objects.filter(consultation_id__in=consultation_ids, direction="in").exclude(body="")
    return {body for body in inbound.values_list("body", flat=True) if len(body) >= MIN_NEEDLE}


def erase_consultations(consultation_ids: list[int], needles: set[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    messages = Message.objects.filter(consultation_id__in=consultation_ids)
    counts["consultations"] = Consultation.objects.filter(pk__in=consultation_ids).exclude(title="").update(title="")
    counts["messages"] = messages.filter(~Q(body="") | ~Q(payload={}) | ~Q(delivery_error="")).update(
        body="", payload={}, delivery_error=""
    )
    attachments = Attachment.objects.filter(message__consultation_id__in=consultation_ids)
    counts["attachments"] = 0
    for attachment in attachments:
        name = attachment.file.name or ""
        storage = attachment.file.storage
        # Delete the file after the rows are gone for good (a rollback must not lose a file still referenced).
        transaction.on_commit(functools.partial(_delete_file, storage, name))
        counts["attachments"] += 1
    attachments.delete()
    # The feedback's words go; that there was feedback stays (the report counts ratings with feedback).
    counts["ratings"] = (
        Rating.objects.filter(consultation_id__in=consultation_ids)
        .exclude(feedback__in=["", ERASED])
        .update(feedback=ERASED)
    )
    return counts


def content_exists() -> Q:
    """Consultations (as `OuterRef("pk")`) that still hold text, files or feedback."""
    messages = Message.objects.filter(consultation=OuterRef("pk")).filter(~Q(body="") | ~Q(payload={}))
    files = Attachment.objects.filter(message__consultation=OuterRef("pk"))
    feedback = Rating.objects.filter(consultation=OuterRef("pk")).exclude(feedback__in=["", ERASED])
    return ~Q(title="") | Q(Exists(messages)) | Q(Exists(files)) | Q(Exists(feedback))


def export_visitors(visitor_ids: list[int]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The visitors' consultations for their data export: messages (notes, the office's internal working notes,
    excepted) with attachments' names, and ratings; plus the audit subjects they cover."""
    consultations = list(
        Consultation.objects.filter(visitor_id__in=visitor_ids).select_related("office").order_by("created_at", "pk")
    )
    c_ids = [c.pk for c in consultations]
    messages: dict[int, list[dict[str, Any]]] = {pk: [] for pk in c_ids}
    for m in (
        Message.objects.filter(consultation_id__in=c_ids)
        .exclude(kind="note")
        .prefetch_related("attachments")
        .order_by("consultation_id", "seq")
    ):
        messages[m.consultation_id].append(
            {
                "seq": m.seq,
                "direction": m.direction,
                "from": _("Anda") if m.direction == "in" else _("Petugas PST"),
                "body": m.body,
                "automatic": m.is_automatic,
                "sent_at": _iso(m.created_at),
                "attachments": [{"filename": a.filename, "size": a.size} for a in m.attachments.all()],
            }
        )
    ratings = {r.consultation_id: r for r in Rating.objects.filter(consultation_id__in=c_ids)}
    sections = {
        "consultations": [
            {
                "id": c.pk,
                "office": c.office_id,
                "office_name": c.office.name,
                "channel": c.channel,
                "status": c.status,
                "topic": c.topic,
                "subject": c.subject,
                "created_at": _iso(c.created_at),
                "closed_at": _iso(c.closed_at),
                "messages": messages[c.pk],
                "rating": (
                    {
                        "score": ratings[c.pk].score,
                        "feedback": ratings[c.pk].feedback,
                        "gratuity": ratings[c.pk].gratuity,
                        "illegal_fee": ratings[c.pk].illegal_fee,
                        "given_at": _iso(ratings[c.pk].created_at),
                    }
                    if c.pk in ratings
                    else None
                ),
            }
            for c in consultations
        ]
    }
    subjects: dict[str, list[Any]] = {
        "consultations.consultation": c_ids,
        "ratings.rating": [r.pk for r in ratings.values()],
    }
    return sections, subjects


def latest_office(visitor_ids: list[int]) -> Any:
    """The office of the visitors' latest consultation (it decides their privacy requests), or None."""
    latest = (
        Consultation.objects.filter(visitor_id__in=visitor_ids).order_by("-created_at").select_related("office").first()
    )
    return latest.office if latest is not None else None


def tell_visitor(visitor_ids: list[int], text: str, *, private: bool = False) -> bool:
    """A privacy notice for a visitor without a verified e-mail: an automatic message in their latest WhatsApp
    consultation (the only channel that can reach them later on its own), sent only while the channel's reply
    window is open (a free-text message outside it would fail). A `private` text (the signed link to their data)
    is marked so that staff never read it (`serializers.staff_body`)."""
    consultation = (
        Consultation.objects.filter(visitor_id__in=visitor_ids, channel="whatsapp").order_by("-created_at").first()
    )
    if consultation is None:
        return False
    window = capability(consultation.channel, "reply_window_closes_at")
    if window is not None:
        closes_at = window(consultation)
        if closes_at is None or closes_at <= timezone.now():
            return False
    payload: dict[str, Any] = {"privacy": True}
    if private:
        payload[PRIVATE_TO_VISITOR] = True
    post_automatic_message(consultation, body=text, payload=payload, by=SystemActor("privacy"))
    return True


def visitors_at(office_codes: list[str]) -> Q:
    """Visitors (as `OuterRef("pk")`) with a consultation at one of these offices."""
    return Q(Exists(Consultation.objects.filter(visitor=OuterRef("pk"), office_id__in=office_codes)))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _delete_file(storage: Any, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:  # already gone: the goal is reached
        log.info("attachment file %s already removed", name)
