"""Finding the visitor a channel is talking to, or creating one (see the package docstring for the rules)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.guestbook.actions._shared import TEXT_MAX, GuestbookError, _clean_email, _clean_whatsapp, _lock
from pstdesk.guestbook.models import (
    Visitor,
)
from pstdesk.lib.actors import SYSTEM, Actor, ChannelActor


def identify_visitor(
    inbound: Any = None,
    /,
    *,
    email: str = "",
    whatsapp: str = "",
    wa_id: str = "",
    wa_user_id: str = "",
    name: str = "",
    email_channel: bool = False,
    by: Actor | None = None,
) -> Visitor:
    """Find the visitor a channel is talking to, or create one. Always returns a surviving (not merged) row.

    Called with keywords, or with one `channels.base.InboundMessage` (its sender fields are used, the e-mail
    channel's From address as `email_channel`, and `by` defaults to `ChannelActor(kind)`).

    Lookup, first hit wins: `wa_user_id`; `wa_id`; `whatsapp` among numbers proven by the WhatsApp channel (only
    when the caller is that channel, i.e. passes a wa id); for the e-mail channel (`email_channel=True`, `email`
    is the From address) a visitor who verified that address, then the identity keyed by that sender address.
    A bare `email` or `whatsapp` from a form is a claim: it is stored on a new visitor, never matched.
    A found visitor gains the identifiers it lacks; an unverified e-mail never becomes verified here.
    Audit: "visitor.created" or "visitor.identifiers_added" (nothing when nothing changed).
    """
    if inbound is not None:
        email = email or inbound.sender_email
        whatsapp = whatsapp or inbound.sender_whatsapp
        wa_id = wa_id or inbound.sender_wa_id
        wa_user_id = wa_user_id or inbound.sender_wa_user_id
        name = name or inbound.sender_name
        email_channel = email_channel or (inbound.channel == "email" and bool(email))
        by = by or ChannelActor(inbound.channel)
    email = _clean_email(email)
    wa_id = (wa_id or "").strip()
    wa_user_id = (wa_user_id or "").strip()
    if wa_id and not whatsapp:
        # WhatsApp has already proven the number: keep it as E.164 digits even where the phonenumbers
        # metadata disagrees (new ranges, foreign numbers), rather than refuse a real person's message.
        number = "+" + "".join(ch for ch in wa_id if ch.isdigit())
    else:
        number = _clean_whatsapp(whatsapp)
    name = (name or "").strip()[:TEXT_MAX]
    from_whatsapp = bool(wa_id or wa_user_id)
    if email_channel and not email:
        raise GuestbookError({"email": _("Alamat pengirim e-mail kosong.")})

    for attempt in range(2):
        try:
            with transaction.atomic():
                return _identify(
                    email=email,
                    number=number,
                    wa_id=wa_id,
                    wa_user_id=wa_user_id,
                    name=name,
                    from_whatsapp=from_whatsapp,
                    email_channel=email_channel,
                    by=by or SYSTEM,  # a bare keyword call without `by` is the system (audit label "system")
                )
        except IntegrityError:
            # Two first messages of one person raced to create the identity: the other one won; find it.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _identify(
    *,
    email: str,
    number: str,
    wa_id: str,
    wa_user_id: str,
    name: str,
    from_whatsapp: bool,
    email_channel: bool,
    by: Actor,
) -> Visitor:
    live = Visitor.objects.filter(erased_at__isnull=True)
    found: Visitor | None = None
    if wa_user_id:
        found = live.filter(wa_user_id=wa_user_id).first()
    if found is None and wa_id:
        found = live.filter(wa_id=wa_id).first()
    if found is None and number and from_whatsapp:
        found = (
            live.filter(whatsapp=number, whatsapp_verified_at__isnull=False, merged_into__isnull=True)
            .order_by("id")
            .first()
        )
    if found is None and email_channel:
        found = (
            live.filter(email__iexact=email, email_verified_at__isnull=False, merged_into__isnull=True)
            .order_by("id")
            .first()
        ) or live.filter(email_channel_address__iexact=email).first()

    now = timezone.now()
    if found is None:
        visitor = Visitor.objects.create(
            name=name,
            email=email,
            whatsapp=number,
            whatsapp_verified_at=now if (number and from_whatsapp) else None,
            wa_id=wa_id or None,
            wa_user_id=wa_user_id or None,
            email_channel_address=email if email_channel else None,
        )
        record(
            "visitor.created",
            visitor,
            by=by,
            after={"keys": _keys(visitor), "email_channel": email_channel},
        )
        return visitor

    visitor = _lock(found)
    changed: list[str] = []
    if wa_user_id and not visitor.wa_user_id and not Visitor.objects.filter(wa_user_id=wa_user_id).exists():
        visitor.wa_user_id = wa_user_id
        changed.append("wa_user_id")
    if wa_id and not visitor.wa_id and not Visitor.objects.filter(wa_id=wa_id).exists():
        visitor.wa_id = wa_id
        changed.append("wa_id")
    if number and from_whatsapp and not visitor.whatsapp:
        visitor.whatsapp = number
        visitor.whatsapp_verified_at = now
        changed += ["whatsapp", "whatsapp_verified_at"]
    elif number and from_whatsapp and visitor.whatsapp == number and visitor.whatsapp_verified_at is None:
        visitor.whatsapp_verified_at = now
        changed.append("whatsapp_verified_at")
    if email and not visitor.email:
        visitor.email = email
        changed.append("email")
    if (
        email_channel
        and not visitor.email_channel_address
        and not Visitor.objects.filter(email_channel_address__iexact=email).exists()
    ):
        visitor.email_channel_address = email
        changed.append("email_channel_address")
    if name and not visitor.name:
        visitor.name = name
        changed.append("name")
    if changed:
        visitor.save(update_fields=changed)
        record("visitor.identifiers_added", visitor, by=by, after={"fields": changed})
    return visitor


def _keys(visitor: Visitor) -> list[str]:
    """Which identifiers a visitor has (names of fields, never values: audit rows hold no personal data)."""
    fields = ["email", "whatsapp", "wa_id", "wa_user_id", "email_channel_address"]
    return [field for field in fields if getattr(visitor, field)]
