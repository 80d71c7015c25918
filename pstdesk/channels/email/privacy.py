"""What the e-mail channel keeps of a visitor, for erasure and retention (registered with `guestbook.erasure` in
this app's `ready`): the raw stored mails, their sender and subject; the addresses and subjects of mails sent."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from pstdesk.channels.email.models import InboundEmail, OutboundEmail


def erase_consultations(consultation_ids: list[int], needles: set[str]) -> dict[str, int]:
    inbound = InboundEmail.objects.filter(consultation_id__in=consultation_ids)
    raw = inbound.filter(~Q(raw=b"") | ~Q(sender="") | ~Q(subject="")).update(raw=b"", sender="", subject="", error="")
    sent = (
        OutboundEmail.objects.filter(consultation_id__in=consultation_ids)
        .filter(~Q(to_address="") | ~Q(subject=""))
        .update(to_address="", subject="")
    )
    return {"raw_emails": raw, "sent_emails": sent}


def content_exists() -> Q:
    """Consultations (as `OuterRef("pk")`) with a raw mail still stored."""
    return Q(Exists(InboundEmail.objects.filter(consultation=OuterRef("pk")).exclude(raw=b"")))
