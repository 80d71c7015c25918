"""Finding the visitor a channel is talking to, or creating one (see the package docstring for the rules)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.channels.base import InboundMessage, Sender
from pstdesk.guestbook.actions._shared import TEXT_MAX, GuestbookError, _clean_email, _clean_whatsapp, _lock
from pstdesk.guestbook.models import Visitor, VisitorIdentity
from pstdesk.lib.actors import SYSTEM, Actor, ChannelActor


def identify_visitor(
    inbound: InboundMessage | None = None,
    /,
    *,
    sender: Sender | None = None,
    email: str = "",
    whatsapp: str = "",
    name: str = "",
    by: Actor | None = None,
) -> Visitor:
    """Find the visitor a channel is talking to, or create one. Always returns a surviving (not merged) row.

    Called with one `channels.base.InboundMessage` (its `sender` is used, and `by` defaults to `ChannelActor(kind)`),
    with a `sender`, or with the claims of a form (`email`, `whatsapp`, `name`).

    Lookup, first hit wins. For a sender the provider proved (`verified`): its identity keys in the order given,
    then a visitor who verified the sender's e-mail. For an unproven sender (the e-mail channel's From address):
    a visitor who verified that address first, then the identity keyed by it (an unproven key never attaches a
    sender to another person). A bare `email` or `whatsapp` from a form is a claim: it is stored on a new visitor,
    never matched. A found visitor gains the identities it lacks (one per kind, never a key another visitor
    holds) and the contact details it lacks; an unverified e-mail never becomes verified here.
    Audit: "visitor.created" or "visitor.identifiers_added" (nothing when nothing changed).
    """
    if inbound is not None:
        sender = sender or inbound.sender
        by = by or ChannelActor(inbound.channel)
    if sender is not None:
        email = email or sender.email
        whatsapp = whatsapp or sender.phone
        name = name or sender.display_name
        if sender.kind and not sender.key:
            raise GuestbookError({sender.kind: _("Pengirim tanpa alamat atau ID di kanal ini.")})
    email = _clean_email(email)
    if sender is not None and sender.verified and whatsapp:
        # The provider has already proven the number: keep it as E.164 digits even where the phonenumbers
        # metadata disagrees (new ranges, foreign numbers), rather than refuse a real person's message.
        number = "+" + "".join(ch for ch in whatsapp if ch.isdigit())
    else:
        number = _clean_whatsapp(whatsapp)
    name = (name or "").strip()[:TEXT_MAX]

    for attempt in range(2):
        try:
            with transaction.atomic():
                # a bare keyword call without `by` is the system (audit label "system")
                return _identify(sender=sender, email=email, number=number, name=name, by=by or SYSTEM)
        except IntegrityError:
            # Two first messages of one person raced to create the identity: the other one won; find it.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _identify(*, sender: Sender | None, email: str, number: str, name: str, by: Actor) -> Visitor:
    keys = sender.keys() if sender is not None else []
    verified = bool(sender is not None and sender.verified)
    # Who holds each key already (one query; an erased visitor holds none).
    holders: dict[tuple[str, str], int] = {}
    if keys:
        wanted = Q()
        for kind, key in keys:
            wanted |= Q(kind=kind, key=key)
        holders = {
            (kind, key): visitor_id
            for kind, key, visitor_id in VisitorIdentity.objects.filter(wanted, visitor__erased_at__isnull=True)
            .order_by()
            .values_list("kind", "key", "visitor_id")
        }
    by_key = next((holders[k] for k in keys if k in holders), None)
    found: Visitor | None = None
    if by_key is not None and verified:
        found = Visitor(pk=by_key)
    if found is None and sender is not None and sender.email and email:
        # The channel's sender address belongs to whoever proved they read it.
        found = (
            Visitor.objects.filter(
                email__iexact=email, email_verified_at__isnull=False, merged_into__isnull=True, erased_at__isnull=True
            )
            .order_by("id")
            .first()
        )
    if found is None and by_key is not None:
        found = Visitor(pk=by_key)

    now = timezone.now()
    proven_at = now if verified else None
    if found is None:
        visitor = Visitor.objects.create(name=name, email=email, whatsapp=number if (verified or not keys) else "")
        VisitorIdentity.objects.bulk_create(
            [VisitorIdentity(visitor=visitor, kind=kind, key=key, verified_at=proven_at) for kind, key in keys]
        )
        record(
            "visitor.created",
            visitor,
            by=by,
            after={"keys": [f for f in ("name", "email", "whatsapp") if getattr(visitor, f)] + [k for k, _ in keys]},
        )
        return visitor

    visitor = _lock(found)
    added: list[str] = []
    free = [k for k in keys if k not in holders]
    if free:
        held = set(visitor.identities.values_list("kind", flat=True))
        for kind, key in free:
            if kind not in held:  # one identity of a kind per visitor; a merge may bring more
                VisitorIdentity.objects.create(visitor=visitor, kind=kind, key=key, verified_at=proven_at)
                held.add(kind)
                added.append(kind)
    fields: list[str] = []
    if number and verified and not visitor.whatsapp:
        visitor.whatsapp = number
        fields.append("whatsapp")
    if email and not visitor.email:
        visitor.email = email
        fields.append("email")
    if name and not visitor.name:
        visitor.name = name
        fields.append("name")
    if fields:
        visitor.save(update_fields=fields)
    changed = added + fields
    if changed:
        record("visitor.identifiers_added", visitor, by=by, after={"fields": changed})
    return visitor
