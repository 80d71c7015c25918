"""Joining two identities of one person, and erasing a visitor's identity."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.models import Role, User
from pstdesk.audit.actions import record
from pstdesk.guestbook.actions._shared import GuestbookError, _lock, _refuse_erased
from pstdesk.guestbook.actions.entries import GUESTBOOK_FREE_TEXT_FIELDS
from pstdesk.guestbook.models import (
    Consent,
    EmailVerification,
    GuestbookEntry,
    Visitor,
    VisitorIdentity,
    VisitorMerge,
)
from pstdesk.lib.actors import Actor, actor_label, is_system, is_user, is_visitor
from pstdesk.lib.errors import NotAllowed
from pstdesk.lib.events import publish_on_commit, visitor_group


def _visitor_relations() -> list[models.ForeignObjectRel]:
    """Every foreign key of any app that points at Visitor (consultations, guestbook entries, consents, channel
    sessions, ratings…), so a merge moves all of them without this app knowing the others."""
    return [
        rel
        for rel in Visitor._meta.get_fields(include_hidden=True)
        if isinstance(rel, models.ForeignObjectRel)
        and (rel.one_to_many or rel.one_to_one)
        and rel.related_model not in {VisitorMerge, VisitorIdentity}
    ]


def merge_visitors(source: Visitor, target: Visitor, *, reason: str, by: Actor) -> Visitor:
    """Join two identities of one person: everything that points at `source` (consultations, guestbook entries,
    consents, verifications, channel identities, other apps' rows, visitors merged into it) moves to `target`;
    `target` gains the contact details it lacks; `source.merged_into = target`. Writes a VisitorMerge row and the
    audit row "visitor.merged"; after commit, "visitor.changed" to the source's sockets. Returns the target
    (re-read)."""
    if reason not in VisitorMerge.Reason.values:
        raise GuestbookError(_("Alasan penggabungan tidak dikenal: %(r)s.") % {"r": reason})
    with transaction.atomic():
        source = _lock(source)
        target = _lock(target)
        if source.pk == target.pk:
            raise GuestbookError(_("Tidak dapat menggabungkan pengguna layanan dengan dirinya sendiri."))
        if source.erased_at is not None or target.erased_at is not None:
            raise GuestbookError(_("Data pengguna layanan ini sudah dihapus."))

        moved: dict[str, Any] = {}
        for rel in _visitor_relations():
            manager = rel.related_model._base_manager
            field = rel.field.name
            if rel.related_model is Visitor:
                count = manager.filter(**{field: source}).exclude(pk=target.pk).update(**{field: target})
            elif rel.one_to_one:
                if manager.filter(**{field: target}).exists():
                    continue  # target keeps its own; the source's stays behind, reachable through merged_into
                count = manager.filter(**{field: source}).update(**{field: target})
            else:
                count = manager.filter(**{field: source}).update(**{field: target})
            if count:
                moved[rel.related_model._meta.label_lower] = count

        # The source's channel identities now recognise the target (the merge itself needed proof of both).
        source_proven = source.whatsapp_proven
        target_proven = target.whatsapp_proven
        identities = VisitorIdentity.objects.filter(visitor=source)
        copied: list[str] = sorted(set(identities.values_list("kind", flat=True)))
        identities.update(visitor=target)
        source.merged_into = target
        source.save(update_fields=["merged_into"])
        if source.name and not target.name:
            target.name = source.name
            copied.append("name")
        # A proven address or number beats a claimed one; otherwise the target keeps its own.
        if source.email and (not target.email or (source.email_verified and not target.email_verified)):
            target.email = source.email
            target.email_verified_at = source.email_verified_at
            copied.append("email")
        if source.whatsapp and (not target.whatsapp or (source_proven and not target_proven)):
            target.whatsapp = source.whatsapp
            copied.append("whatsapp")
        target.save(update_fields=["name", "email", "email_verified_at", "whatsapp"])
        moved["identifiers"] = copied
        merge = VisitorMerge.objects.create(
            source_id=source.pk,
            target=target,
            reason=reason,
            merged_by=by if isinstance(by, User) else None,
            merged_by_label=actor_label(by),
            moved=moved,
        )
        record(
            "visitor.merged",
            target,
            by=by,
            before={"source": source.pk},
            after={"merge": merge.pk, "reason": reason, "moved": moved},
        )
        # Open widget sockets of the source speak for an identity that no longer exists: they close and start
        # again from their session (now the target's).
        publish_on_commit(
            [visitor_group(source.pk)],
            {"type": "visitor.changed", "visitor": source.pk, "reason": "merged", "into": target.pk},
        )
        return target


def _may_erase(visitor: Visitor, by: Actor) -> bool:
    """Admits the visitor themself, the system, and a manager, an administrator or a superuser; never a command,
    a channel or another visitor."""
    if is_visitor(by, visitor.pk) or is_system(by):
        return True
    if not is_user(by):
        return False

    return by.is_superuser or by.role in {Role.MANAGER, Role.ADMIN}


def erase_visitor(visitor: Visitor, *, by: Actor) -> Visitor:
    """The right to deletion (UU 27/2022): blank the personal data of the visitor and of every identity merged into
    it (name, e-mail, WhatsApp number and ids, the guestbook's free texts), delete pending verification codes and
    withdraw consents; keep the coded answers and counts as anonymous statistics. Allowed to the visitor themself
    (`VisitorActor`), the system, a service manager, an administrator. Audit: "visitor.erased"."""
    with transaction.atomic():
        visitor = _lock(visitor)
        if not _may_erase(visitor, by):
            raise NotAllowed(_("Hanya penanggung jawab pelayanan atau administrator yang dapat menghapus data."))
        _refuse_erased(visitor)
        ids = [visitor.pk]
        frontier = [visitor.pk]
        while frontier:
            frontier = list(Visitor.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
            ids += frontier
        now = timezone.now()
        Visitor.objects.filter(pk__in=ids).update(
            name="",
            email="",
            email_verified_at=None,
            email_failing_at=None,
            whatsapp="",
            erased_at=now,
        )
        VisitorIdentity.objects.filter(visitor_id__in=ids).delete()
        entries = GuestbookEntry.objects.filter(visitor_id__in=ids).update(
            **{field: "" for field in GUESTBOOK_FREE_TEXT_FIELDS}
        )
        EmailVerification.objects.filter(visitor_id__in=ids).delete()
        Consent.objects.filter(visitor_id__in=ids, withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_channel="erasure"
        )
        record("visitor.erased", visitor, by=by, after={"visitors": ids, "guestbook_entries": entries})
        for pk in ids:
            publish_on_commit([visitor_group(pk)], {"type": "visitor.changed", "visitor": pk, "reason": "erased"})
        visitor.refresh_from_db()
        return visitor
