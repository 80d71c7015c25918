"""The visitor's rights under UU 27/2022 (research/domain-bps.md §6): see and download their data, correct their
guestbook data, withdraw consent, ask for deletion.

- The way in is a signed link sent to an address the desk has verified for that visitor (a verified e-mail, or the
  WhatsApp number the channel itself proved). Asking for a link never tells whether an address is known.
- Seeing and downloading is immediate (`export_visitor_data`: JSON and a readable page).
- Correcting, withdrawing and deleting are requests (`PrivacyRequest`) with a 3×24-hour clock, in the queue of the
  office's manager, who approves (the change is carried out: `guestbook.erasure` for deletion) or refuses with a
  reason; the manager is warned a day before the clock runs out (`warn_due_requests`, every hour); the visitor is
  told the outcome at their verified address.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.access import visible_offices
from pstdesk.accounts.models import Role, User
from pstdesk.audit.actions import record
from pstdesk.audit.models import AuditLog
from pstdesk.guestbook.actions import GuestbookError, withdraw_consent
from pstdesk.guestbook.erasure import erase_visitor_data, holders, visitor_ids_of
from pstdesk.guestbook.models import (
    Consent,
    GuestbookEntry,
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestStatus,
    Visitor,
)
from pstdesk.lib.actors import Actor, SystemActor, VisitorActor, is_user
from pstdesk.lib.errors import InvalidInput, InvalidTransition, NotAllowed
from pstdesk.lib.phones import normalize_whatsapp

log = logging.getLogger(__name__)

REQUEST_CLOCK = timedelta(hours=72)  # 3×24 hours (UU 27/2022)
WARN_BEFORE = timedelta(hours=24)
LINK_SALT = "pstdesk.privacy-rights"
LINK_MAX_AGE = 24 * 3600
# Guestbook fields a visitor may ask to correct (the coded answers are corrected by filling the guestbook again).
CORRECTABLE_ENTRY_FIELDS = ("institution_name", "occupation_other", "institution_category_other", "purpose_other")


# --- the link ----------------------------------------------------------------------------------------------------


def rights_token(visitor: Visitor) -> str:
    return signing.dumps({"v": str(visitor.public_id)}, salt=LINK_SALT, compress=True)


def visitor_from_token(token: str) -> Visitor | None:
    """The (live, surviving) visitor a link names, or None for a forged, expired or erased one."""
    try:
        data = signing.loads(token or "", salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    try:
        visitor = Visitor.objects.filter(public_id=str(data.get("v", ""))).first()
    except ValidationError:  # not a UUID (an old token format): treated as unknown
        return None
    if visitor is None:
        return None
    visitor = visitor.resolve()
    return None if visitor.erased_at is not None else visitor


def rights_url(visitor: Visitor) -> str:
    return settings.PUBLIC_URL + reverse("guestbook:rights", kwargs={"token": rights_token(visitor)})


def _verified_visitor(address: str) -> tuple[Visitor | None, str]:
    """The visitor whose VERIFIED e-mail or proven WhatsApp number is `address`, and the channel to use."""

    address = (address or "").strip()
    if "@" in address:
        visitor = (
            Visitor.objects.filter(email__iexact=address, email_verified_at__isnull=False, erased_at__isnull=True)
            .order_by("-pk")
            .first()
        )
        return visitor, "email"
    try:
        number = normalize_whatsapp(address)
    except Exception:  # not a number either: nothing to send
        return None, ""
    visitor = (
        Visitor.objects.filter(
            whatsapp=number,
            identities__key="".join(ch for ch in number if ch.isdigit()),
            identities__verified_at__isnull=False,
            erased_at__isnull=True,
        )
        .order_by("-pk")
        .first()
    )
    return visitor, "whatsapp"


def send_rights_link(address: str) -> bool:
    """Send the link to the visitor's data to `address` when it is a verified address of a visitor. Returns whether
    a link was sent (the page says the same thing either way)."""
    visitor, channel = _verified_visitor(address)
    if visitor is None:
        return False
    visitor = visitor.resolve()
    text = _(
        "Anda meminta tautan untuk melihat, mengunduh, memperbaiki, atau menghapus data pribadi Anda di layanan "
        "konsultasi statistik (PST) BPS:\n\n%(link)s\n\nTautan berlaku 24 jam. Jika Anda tidak memintanya, "
        "abaikan pesan ini."
    ) % {"link": rights_url(visitor)}
    _tell(visitor, text, channel=channel, private=True)
    record("privacy.link_sent", visitor, by=VisitorActor(visitor.pk), after={"channel": channel})
    return True


def _tell(visitor: Visitor, text: str, *, channel: str = "", address: str = "", private: bool = False) -> bool:
    """Send `text` to the visitor's verified e-mail (or `address`), else as a WhatsApp message in their latest
    WhatsApp consultation. Returns whether it went out."""
    email = address or (visitor.email if visitor.email_verified_at else "")
    if email and channel != "whatsapp":
        try:
            send_mail(_("Data pribadi Anda di PST BPS"), text, None, [email])
            return True
        except Exception:  # the outcome is recorded either way; the visitor can open the link again
            log.warning("privacy notice to visitor %s not sent", visitor.pk, exc_info=True)
            return False
    return any(tell(visitor_ids_of(visitor), text, private=private) for tell in holders("tell_visitor"))


# --- access ------------------------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_visitor_data(visitor: Visitor) -> dict[str, Any]:
    """Everything the desk keeps about the visitor (and identities merged into them), and nothing about anyone
    else: identity, guestbook entries, consents, consultations with their messages (notes, which are the office's
    internal working notes, excepted) and attachments' names, ratings, privacy requests, and the processing trail
    (what was done with the data, when: the audit verbs, without other people's details)."""

    ids = visitor_ids_of(visitor)
    # The apps above the guestbook add what they keep (the consultations: their messages and ratings).
    exported: dict[str, Any] = {}
    subjects: dict[str, list[Any]] = {"guestbook.visitor": ids}
    for export in holders("export_visitors"):
        sections, their_subjects = export(ids)
        exported.update(sections)
        subjects.update(their_subjects)
    subjects["guestbook.privacyrequest"] = list(
        PrivacyRequest.objects.filter(visitor_id__in=ids).values_list("pk", flat=True)
    )
    trail = AuditLog.objects.none()
    for subject_type, pks in subjects.items():
        trail = trail | AuditLog.objects.filter(subject_type=subject_type, subject_id__in=[str(pk) for pk in pks])
    return {
        "generated_at": timezone.now().isoformat(),
        "controller": _("Badan Pusat Statistik (kantor yang melayani konsultasi Anda)"),
        "visitor": {
            "id": str(visitor.public_id),
            "name": visitor.name,
            "email": visitor.email,
            "email_verified_at": _iso(visitor.email_verified_at),
            "whatsapp": visitor.whatsapp,
            "language": visitor.language,
            "created_at": _iso(visitor.created_at),
            "merged_identities": len(ids) - 1,
        },
        "guestbook_entries": [
            {
                "office": e.office_id,
                "filled_at": _iso(e.filled_at),
                "channel": e.channel,
                "sex": e.sex,
                "age_group": e.age_group,
                "education": e.education,
                "occupation": e.occupation,
                "occupation_other": e.occupation_other,
                "institution_category": e.institution_category,
                "institution_category_other": e.institution_category_other,
                "institution_name": e.institution_name,
                "purpose": e.purpose,
                "purpose_other": e.purpose_other,
                "disability": e.disability,
                "disability_kinds": e.disability_kinds,
            }
            for e in GuestbookEntry.objects.filter(visitor_id__in=ids).order_by("filled_at", "pk")
        ],
        "consents": [
            {
                "notice_version": c.notice_version,
                "given_at": _iso(c.given_at),
                "channel": c.channel,
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for c in Consent.objects.filter(visitor_id__in=ids).order_by("given_at", "pk")
        ],
        **exported,
        "privacy_requests": [
            {
                "kind": r.kind,
                "status": r.status,
                "created_at": _iso(r.created_at),
                "due_at": _iso(r.due_at),
                "reason": r.reason,
            }
            for r in PrivacyRequest.objects.filter(visitor_id__in=ids).order_by("created_at", "pk")
        ],
        "processing": [
            {"at": _iso(row.created_at), "what": row.verb}
            for row in trail.order_by("created_at", "pk").only("created_at", "verb")
        ],
    }


# --- requests ------------------------------------------------------------------------------------------------------


def _office_for(visitor: Visitor) -> Any:
    """The office that decides the visitor's request: the one of their latest consultation, else guestbook entry."""
    ids = visitor_ids_of(visitor)
    for latest_office in holders("latest_office"):
        office = latest_office(ids)
        if office is not None:
            return office
    entry = GuestbookEntry.objects.filter(visitor_id__in=ids).select_related("office").order_by("-filled_at").first()
    return entry.office if entry is not None else None


def request_privacy_action(
    visitor: Visitor, *, kind: str, details: dict[str, Any] | None = None, by: Actor
) -> PrivacyRequest:
    """File a request (correct / withdraw / delete) for the office's manager, due in 3×24 hours. One pending
    request of a kind at a time (a second one returns the first). Audit: "privacy_request.created"."""
    if kind not in PrivacyRequestKind.values:
        raise InvalidInput(_("Jenis permintaan tidak dikenal."))
    details = details or {}
    if kind == PrivacyRequestKind.CORRECT:
        changes = details.get("changes") or {}
        allowed = {"name", *CORRECTABLE_ENTRY_FIELDS}
        if not changes or set(changes) - allowed:
            raise InvalidInput(_("Tidak ada perbaikan yang dapat diajukan."))
        details = {"changes": {k: str(v)[:200] for k, v in changes.items()}}
    office = _office_for(visitor)
    if office is None:
        raise InvalidInput(_("Belum ada kantor yang menyimpan data Anda."))
    with transaction.atomic():
        existing = PrivacyRequest.objects.filter(
            visitor=visitor, kind=kind, status=PrivacyRequestStatus.PENDING
        ).first()
        if existing is not None:
            return existing
        now = timezone.now()
        req = PrivacyRequest.objects.create(
            visitor=visitor, office=office, kind=kind, details=details, due_at=now + REQUEST_CLOCK
        )
        record(
            "privacy_request.created",
            req,
            by=by,
            office=office,
            after={"kind": kind, "due_at": req.due_at.isoformat(), "fields": sorted(details.get("changes", {}))},
        )
    return req


def may_decide(user: Any, office: Any) -> bool:
    """The office's manager (or an administrator, or a manager above it) decides privacy requests."""

    if getattr(user, "is_superuser", False):
        return True
    if getattr(user, "role", None) not in {Role.MANAGER, Role.ADMIN}:
        return False
    return visible_offices(user).filter(code=office.code).exists()


def _apply_correction(req: PrivacyRequest) -> None:
    changes = dict(req.details.get("changes") or {})
    ids = visitor_ids_of(req.visitor)
    if "name" in changes:
        Visitor.objects.filter(pk=req.visitor_id).update(name=changes.pop("name")[:200])
    if changes:
        entry = GuestbookEntry.objects.filter(visitor_id__in=ids, office_id=req.office_id).order_by("-filled_at")
        latest = entry.first() or GuestbookEntry.objects.filter(visitor_id__in=ids).order_by("-filled_at").first()
        if latest is not None:
            GuestbookEntry.objects.filter(pk=latest.pk).update(**changes)


def decide_privacy_request(req: PrivacyRequest, *, approve: bool, reason: str = "", by: Actor) -> PrivacyRequest:
    """The manager's decision. Approving carries the request out (the correction is applied, every consent is
    withdrawn, or everything about the visitor is erased); refusing needs a reason. The visitor is told the outcome
    at their verified address (for an erasure, captured before the address is erased). Audit:
    "privacy_request.decided". 404-equivalent refusals are the view's business; here NotAllowed."""

    reason = (reason or "").strip()
    if not may_decide(by, req.office):
        raise NotAllowed(_("Hanya penanggung jawab pelayanan kantor ini yang dapat memutuskan permintaan ini."))
    if not approve and not reason:
        raise InvalidInput(_("Tuliskan alasan penolakan; pengguna layanan akan menerimanya."))
    with transaction.atomic():
        req = PrivacyRequest.objects.select_for_update().select_related("visitor", "office").get(pk=req.pk)
        if req.status != PrivacyRequestStatus.PENDING:
            raise InvalidTransition(_("Permintaan ini sudah diputuskan."))
        visitor = req.visitor
        address = visitor.email if visitor.email_verified_at else ""
        now = timezone.now()
        if approve:
            if req.kind == PrivacyRequestKind.CORRECT:
                _apply_correction(req)
            elif req.kind == PrivacyRequestKind.WITHDRAW:
                try:
                    withdraw_consent(visitor, channel="privacy_request", by=by)
                except GuestbookError:  # nothing active any more: the goal is reached
                    pass
            else:
                # Tell the visitor before the address is erased, in the same words as any outcome.
                erase_visitor_data(visitor, by=by)
        req.status = PrivacyRequestStatus.APPROVED if approve else PrivacyRequestStatus.REFUSED
        req.reason = reason
        req.decided_at = now
        req.decided_by = by if is_user(by) else None
        req.save(update_fields=["status", "reason", "decided_at", "decided_by"])
        record(
            "privacy_request.decided",
            req,
            by=by,
            office=req.office,
            before={"status": PrivacyRequestStatus.PENDING},
            after={"status": req.status, "kind": req.kind, "late": now > req.due_at},
        )
        text = _outcome_text(req)
        erased = approve and req.kind == PrivacyRequestKind.DELETE
        transaction.on_commit(lambda: _notify_outcome(req.pk, visitor, text, address, erased=erased))
    return req


def _outcome_text(req: PrivacyRequest) -> str:
    kind = PrivacyRequestKind(req.kind).label
    if req.status == PrivacyRequestStatus.APPROVED:
        if req.kind == PrivacyRequestKind.DELETE:
            return _(
                "Permintaan Anda (%(kind)s) telah disetujui dan dilaksanakan: data pribadi Anda telah dihapus dari "
                "layanan konsultasi PST. Yang tersisa hanya angka statistik tanpa identitas."
            ) % {"kind": kind}
        return _("Permintaan Anda (%(kind)s) telah disetujui dan dilaksanakan.") % {"kind": kind}
    return _("Permintaan Anda (%(kind)s) ditolak dengan alasan: %(reason)s") % {"kind": kind, "reason": req.reason}


def _notify_outcome(req_id: int, visitor: Visitor, text: str, address: str, *, erased: bool) -> None:
    # After an erasure only the e-mail address captured before it can be used: the WhatsApp ids are gone, and a
    # message in an erased consultation would put text back where it was removed.
    if erased and not address:
        return
    sent = _tell(visitor, text, address=address)
    if sent:
        PrivacyRequest.objects.filter(pk=req_id).update(notified_at=timezone.now())


def warn_due_requests(now: Any = None) -> int:
    """Warn the managers of each office, by e-mail, of pending requests whose 3×24-hour clock ends within a day
    (once per request). Audit: "privacy_request.warned". Returns how many requests were warned about."""

    now = now or timezone.now()
    due = list(
        PrivacyRequest.objects.filter(
            status=PrivacyRequestStatus.PENDING, warned_at__isnull=True, due_at__lte=now + WARN_BEFORE
        ).select_related("office")
    )
    for req in due:
        with transaction.atomic():
            claimed = PrivacyRequest.objects.filter(pk=req.pk, warned_at__isnull=True).update(warned_at=now)
            if not claimed:
                continue
            record(
                "privacy_request.warned",
                req,
                by=SystemActor("privacy"),
                office=req.office,
                after={"due_at": req.due_at.isoformat()},
            )
        managers = list(
            User.objects.filter(office=req.office, role=Role.MANAGER, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if managers:
            try:
                send_mail(
                    _("Permintaan data pribadi segera jatuh tempo"),
                    _(
                        "Permintaan %(kind)s nomor %(id)d di %(office)s harus diputuskan sebelum %(due)s "
                        "(3×24 jam, UU 27/2022). Buka antrean: %(link)s"
                    )
                    % {
                        "kind": PrivacyRequestKind(req.kind).label,
                        "id": req.pk,
                        "office": req.office.name,
                        "due": timezone.localtime(req.due_at).strftime("%d-%m-%Y %H.%M"),
                        "link": settings.PUBLIC_URL + reverse("guestbook:privacy_queue"),
                    },
                    None,
                    managers,
                )
            except Exception:  # the audit row and the queue's countdown still show it
                log.warning("privacy warning for request %s not sent", req.pk, exc_info=True)
    return len(due)
