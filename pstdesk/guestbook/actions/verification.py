"""E-mail verification by a code: send it (within the limits of `guestbook.throttle`) and check it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.guestbook import throttle
from pstdesk.guestbook.actions._shared import GuestbookError, _clean_email, _lock, _refuse_erased
from pstdesk.guestbook.actions.merge_erase import merge_visitors
from pstdesk.guestbook.models import (
    EMAIL_IDENTITY,
    EmailVerification,
    Visitor,
    VisitorMerge,
)
from pstdesk.lib.actors import Actor

VERIFICATION_CODE_TTL = timedelta(minutes=30)


VERIFICATION_MAX_ATTEMPTS = 5


VERIFICATION_RESEND_AFTER = timedelta(seconds=60)


VERIFICATION_MAX_PER_HOUR = 5


# 10^8 codes: with the limits of `throttle` (20 tries a day on one address) guessing is hopeless.
VERIFICATION_CODE_DIGITS = 8


class VerificationLimited(GuestbookError):
    """A code send or try refused by the limits across identities (`guestbook.throttle`): answered 429, with
    `retry_after` seconds."""

    status_code = 429

    def __init__(self, errors: dict[str, str], retry_after: int) -> None:
        super().__init__(errors)
        self.retry_after = retry_after


def _limited(field: str, refusal: throttle.Refusal) -> VerificationLimited:
    minutes = max(1, -(-refusal.retry_after // 60))
    if field == "code":
        message = _("Terlalu banyak percobaan kode. Coba lagi dalam %(minutes)d menit.")
    elif refusal.scope == "address":
        message = _("Terlalu banyak kode dikirim ke alamat ini. Coba lagi dalam %(minutes)d menit.")
    else:
        message = _("Terlalu banyak permintaan kode. Coba lagi dalam %(minutes)d menit.")
    return VerificationLimited({field: message % {"minutes": minutes}}, refusal.retry_after)


def _code_hash(verification_email: str, visitor_id: int, code: str) -> str:
    # Keyed with SECRET_KEY: a copy of the table alone is not enough to try the million codes offline.
    message = f"{visitor_id}:{verification_email.lower()}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def start_email_verification(visitor: Visitor, *, email: str, by: Actor, ip: str = "", office: Any = None) -> None:
    """Send an 8-digit code to `email` (which becomes the visitor's e-mail, unverified if it changed). Only an
    HMAC of the code is stored; it expires after 30 minutes and allows 5 attempts; a new code replaces the
    previous one. Rate limits: one code per minute and five per hour for the visitor, and the limits of
    `guestbook.throttle` per address, per client `ip` and per `office` (VerificationLimited, 429). A failed send
    changes nothing. Audit: "email_verification.started"."""
    address = _clean_email(email)
    if not address:
        raise GuestbookError({"email": _("Wajib diisi.")})
    with transaction.atomic():
        visitor = _lock(visitor)
        _refuse_erased(visitor)
        now = timezone.now()
        recent = visitor.verifications.filter(created_at__gte=now - timedelta(hours=1))
        latest = recent.order_by("-created_at").first()
        if latest is not None and latest.created_at > now - VERIFICATION_RESEND_AFTER:
            raise GuestbookError({"email": _("Kode baru saja dikirim. Tunggu satu menit sebelum meminta lagi.")})
        if recent.count() >= VERIFICATION_MAX_PER_HOUR:
            raise GuestbookError({"email": _("Terlalu banyak permintaan kode. Coba lagi satu jam lagi.")})
        if visitor.email_verified_at is not None and visitor.email.lower() == address.lower():
            raise GuestbookError({"email": _("Alamat e-mail ini sudah terverifikasi.")})
        refusal = throttle.allow_send(address, ip=ip, office=office)
        if refusal is not None:
            raise _limited("email", refusal)

        fields: list[str] = []
        if visitor.email != address:
            visitor.email = address
            visitor.email_verified_at = None
            fields = ["email", "email_verified_at"]
            visitor.save(update_fields=fields)
        visitor.verifications.filter(closed_at__isnull=True, verified_at__isnull=True).update(closed_at=now)
        code = f"{secrets.randbelow(10**VERIFICATION_CODE_DIGITS):0{VERIFICATION_CODE_DIGITS}d}"
        verification = EmailVerification.objects.create(
            visitor=visitor,
            email=address,
            code_hash=_code_hash(address, visitor.pk, code),
            expires_at=now + VERIFICATION_CODE_TTL,
        )
        record(
            "email_verification.started",
            verification,
            by=by,
            after={"visitor": visitor.pk, "email_changed": bool(fields)},
        )
        with translation.override(visitor.language or "id"):
            subject = _("Kode verifikasi PST: %(code)s") % {"code": code}
            body = _(
                "Kode verifikasi e-mail Anda untuk layanan konsultasi statistik (PST) BPS adalah %(code)s.\n\n"
                "Kode berlaku %(minutes)d menit. Jika Anda tidak memintanya, abaikan e-mail ini."
            ) % {"code": code, "minutes": int(VERIFICATION_CODE_TTL.total_seconds() // 60)}
        try:
            send_mail(subject, body, None, [address])
        except Exception:  # SMTP refusals come as many types; the visitor gets one clear message
            raise GuestbookError({"email": _("Kode tidak dapat dikirim ke alamat ini. Coba lagi nanti.")}) from None


def verify_email(visitor: Visitor, *, code: str, by: Actor, ip: str = "", office: Any = None) -> Visitor:
    """Check a code from `start_email_verification`. Every try is first counted by `guestbook.throttle` per
    address, client `ip` and `office` (VerificationLimited, 429, without comparing the code). On success the
    address is verified. Proving an address proves only the mailbox: another visitor who verified the same address
    stays a separate identity (their conversations need their own proof: their session or a signed link), while
    the e-mail channel's identity of that sender, whose only proof is that mailbox, is merged in. Returns the
    surviving visitor. A wrong code counts an attempt (kept even though the call raises); after 5 the code is
    closed. Audit: "visitor.email_verified" or "email_verification.failed"."""
    code = "".join(ch for ch in str(code or "") if ch.isdigit())
    failure: dict[str, str] | None = None
    with transaction.atomic():
        visitor = _lock(visitor)
        _refuse_erased(visitor)
        now = timezone.now()
        verification = (
            visitor.verifications.select_for_update()
            .filter(verified_at__isnull=True, closed_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if verification is None:
            raise GuestbookError({"code": _("Tidak ada kode yang menunggu. Minta kode baru.")})
        if verification.expires_at <= now:
            verification.closed_at = now
            verification.save(update_fields=["closed_at"])
            failure = {"code": _("Kode sudah kedaluwarsa. Minta kode baru.")}
        elif verification.email.lower() != (visitor.email or "").lower():
            verification.closed_at = now
            verification.save(update_fields=["closed_at"])
            failure = {"code": _("Alamat e-mail sudah berubah sejak kode dikirim. Minta kode baru.")}
        elif (refusal := throttle.allow_attempt(verification.email, ip=ip, office=office)) is not None:
            raise _limited("code", refusal)
        elif len(code) != VERIFICATION_CODE_DIGITS or not hmac.compare_digest(
            verification.code_hash, _code_hash(verification.email, visitor.pk, code)
        ):
            throttle.record_failure(verification.email)
            verification.attempts += 1
            fields = ["attempts"]
            if verification.attempts >= VERIFICATION_MAX_ATTEMPTS:
                verification.closed_at = now
                fields.append("closed_at")
                failure = {"code": _("Terlalu banyak percobaan. Minta kode baru.")}
            else:
                left = VERIFICATION_MAX_ATTEMPTS - verification.attempts
                failure = {"code": _("Kode salah. Sisa percobaan: %(n)d.") % {"n": left}}
            verification.save(update_fields=fields)
        if failure is not None:
            record(
                "email_verification.failed",
                verification,
                by=by,
                after={
                    "visitor": visitor.pk,
                    "attempts": verification.attempts,
                    "closed": bool(verification.closed_at),
                },
            )
        else:
            throttle.record_success(verification.email)
            return _complete_verification(visitor, verification, now=now, by=by)
    raise GuestbookError(failure)


def _complete_verification(visitor: Visitor, verification: EmailVerification, *, now: Any, by: Actor) -> Visitor:
    verification.verified_at = now
    verification.save(update_fields=["verified_at"])
    address = verification.email
    visitor.email_verified_at = now
    visitor.save(update_fields=["email_verified_at"])
    # Another identity that verified this address keeps its conversations: a code (even a guessed one) proves the
    # mailbox, not that person's WhatsApp or chat sessions. Joining them needs both proofs (a signed link opened
    # in this browser, or staff).
    others = (
        Visitor.objects.filter(email__iexact=address, email_verified_at__isnull=False, merged_into__isnull=True)
        .exclude(pk=visitor.pk)
        .filter(erased_at__isnull=True)
        .count()
    )
    record(
        "visitor.email_verified",
        visitor,
        by=by,
        after={"verification": verification.pk, "other_identities_with_address": others},
    )
    survivor = visitor
    # The e-mail channel's identity of this sender is the same mailbox: merged in, unless it holds another proof
    # (a WhatsApp id, a verified number or address) that this code does not give.
    for other in (
        Visitor.objects.filter(
            identities__kind=EMAIL_IDENTITY,
            identities__key=address.lower(),
            merged_into__isnull=True,
            erased_at__isnull=True,
        )
        .exclude(pk=survivor.pk)
        .exclude(identities__verified_at__isnull=False)
        .exclude(email_verified_at__isnull=False)
    ):
        survivor = merge_visitors(other, survivor, reason=VisitorMerge.Reason.VERIFIED_EMAIL, by=by)
    return survivor
