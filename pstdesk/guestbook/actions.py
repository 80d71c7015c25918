"""Every state change of visitor identity, the guestbook, consent and e-mail verification.

Each action runs in one transaction, writes one audit row (`pstdesk.audit.actions.record`) and takes the actor as
`by=` (a staff `User`, or a label such as "visitor:12", "channel:whatsapp", "system"). Audit rows never carry
personal data (names, addresses, numbers), so erasing a visitor leaves nothing personal behind in the trail.

Identity rules (why `identify_visitor` is careful): a claim typed into a form (an e-mail address, a phone number)
proves nothing, so it never attaches the claimant to somebody else's identity. Identities are joined only on
proof: a WhatsApp id given by the provider, an e-mail address verified by a code, or a signed link we sent.
Joining two identities that each hold conversations needs proof of both (issue 11): a verified code joins only the
e-mail channel's identity of that mailbox, never another visitor who verified the same address; a signed link
merges only when the person confirms it with a POST in a browser that holds the other identity (`views.link_choice`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pstdesk.accounts.models import User
from pstdesk.audit.actions import record
from pstdesk.guestbook import throttle
from pstdesk.guestbook.models import (
    CodeList,
    Consent,
    EmailVerification,
    GuestbookEntry,
    Visitor,
    VisitorMerge,
)
from pstdesk.lib.errors import DomainError, NotAllowed
from pstdesk.lib.events import publish_on_commit, visitor_group
from pstdesk.lib.phones import normalize_whatsapp

# The version of the privacy notice shown at /privasi/. Changing the notice means a new version: consents given
# to an older one stay recorded, and `has_current_consent` asks again.
PRIVACY_NOTICE_VERSION = "2025.1"

# The coded guestbook answers (field → code list name), and the free text that a "Lainnya" answer requires.
CODE_FIELDS: dict[str, str] = {
    "sex": "sex",
    "age_group": "age_group",
    "education": "education",
    "occupation": "occupation",
    "institution_category": "institution_category",
    "purpose": "purpose",
}
OTHER_TEXT_FIELDS: dict[str, str] = {
    "occupation": "occupation_other",
    "institution_category": "institution_category_other",
    "purpose": "purpose_other",
}
GUESTBOOK_FREE_TEXT_FIELDS = ("occupation_other", "institution_category_other", "institution_name", "purpose_other")
TEXT_MAX = 200

VERIFICATION_CODE_TTL = timedelta(minutes=30)
VERIFICATION_MAX_ATTEMPTS = 5
VERIFICATION_RESEND_AFTER = timedelta(seconds=60)
VERIFICATION_MAX_PER_HOUR = 5
# 10^8 codes: with the limits of `throttle` (20 tries a day on one address) guessing is hopeless.
VERIFICATION_CODE_DIGITS = 8


class GuestbookError(DomainError):
    """Refused guestbook input. `errors` maps a field name to a message for the visitor ("__all__" for the
    whole form); `message` joins them."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors: dict[str, str] = {"__all__": str(errors)} if isinstance(errors, str) else dict(errors)
        super().__init__(" ".join(f"{v}" for v in self.errors.values()))


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


# --- helpers -----------------------------------------------------------------------------------------------------


def visitor_label(visitor: Visitor) -> str:
    """The `by=` label of a visitor acting for themself."""
    return f"visitor:{visitor.pk}"


def _clean_email(raw: str, field: str = "email") -> str:
    value = (raw or "").strip()
    if not value:
        return ""
    if len(value) > 254:
        raise GuestbookError({field: _("Alamat e-mail terlalu panjang.")})
    try:
        validate_email(value)
    except ValidationError:
        raise GuestbookError({field: _("Alamat e-mail tidak valid: %(email)s") % {"email": value}}) from None
    local, _sep, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _clean_whatsapp(raw: str, field: str = "whatsapp") -> str:
    if not (raw or "").strip():
        return ""
    try:
        return normalize_whatsapp(raw)
    except ValueError as exc:
        raise GuestbookError({field: str(exc)}) from None


def _lock(visitor: Visitor) -> Visitor:
    """The surviving identity of `visitor`, re-read under a row lock."""
    survivor = Visitor.objects.get(pk=visitor.pk).resolve()
    return Visitor.objects.select_for_update().get(pk=survivor.pk)


def _refuse_erased(visitor: Visitor) -> None:
    if visitor.erased_at is not None:
        raise GuestbookError(_("Data pengguna layanan ini sudah dihapus."))


def current_code_lists() -> dict[str, CodeList]:
    """The code list version in force for each list name (the newest already effective)."""
    today = timezone.localdate()
    lists: dict[str, CodeList] = {}
    for code_list in CodeList.objects.filter(effective_from__lte=today).prefetch_related("items"):
        known = lists.get(code_list.name)
        if known is None or code_list.version > known.version:
            lists[code_list.name] = code_list
    return lists


def has_current_consent(visitor: Visitor) -> bool:
    return visitor.consents.filter(notice_version=PRIVACY_NOTICE_VERSION, withdrawn_at__isnull=True).exists()


# --- identity ----------------------------------------------------------------------------------------------------


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
    by: Any = None,
) -> Visitor:
    """Find the visitor a channel is talking to, or create one. Always returns a surviving (not merged) row.

    Called with keywords, or with one `channels.base.InboundMessage` (its sender fields are used, the e-mail
    channel's From address as `email_channel`, and `by` defaults to "channel:<kind>").

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
        by = by or f"channel:{inbound.channel}"
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
                    by=by,
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
    by: Any,
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


# --- guestbook ---------------------------------------------------------------------------------------------------


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "ya", "yes", "true", "on", "y"}:
        return True
    if text in {"2", "tidak", "no", "false", "off", "n", "0", ""}:
        return False
    return None


def validate_guestbook(visitor: Visitor, data: dict[str, Any]) -> dict[str, Any]:
    """Check one filled guestbook against the code lists in force; return the cleaned values or raise
    GuestbookError with a message per field (every problem at once)."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    lists = current_code_lists()

    def text(field: str, required: bool) -> str:
        value = str(data.get(field) or "").strip()
        if required and not value:
            errors[field] = _("Wajib diisi.")
        elif len(value) > TEXT_MAX:
            errors[field] = _("Terlalu panjang (paling banyak %(n)d karakter).") % {"n": TEXT_MAX}
        return value

    cleaned["name"] = text("name", required=not visitor.name) or visitor.name
    for field, cleaner in (("email", _clean_email), ("whatsapp", _clean_whatsapp)):
        raw = str(data.get(field) or "").strip()
        if not raw:
            if not getattr(visitor, field):
                errors[field] = _("Wajib diisi.")
            cleaned[field] = getattr(visitor, field)
            continue
        try:
            cleaned[field] = cleaner(raw)
        except GuestbookError as exc:
            errors[field] = exc.errors[field]

    versions: dict[str, int] = {}
    for field, list_name in CODE_FIELDS.items():
        code_list = lists.get(list_name)
        if code_list is None:
            errors[field] = _("Daftar kode %(name)s belum tersedia.") % {"name": list_name}
            continue
        versions[list_name] = code_list.version
        code = str(data.get(field) or "").strip()
        items = {item.code: item for item in code_list.items.all()}
        if not code:
            errors[field] = _("Wajib dipilih.")
            continue
        if code not in items:
            errors[field] = _("Pilihan tidak dikenal: %(code)s.") % {"code": code}
            continue
        cleaned[field] = code
        other_field = OTHER_TEXT_FIELDS.get(field)
        if other_field:
            if items[code].requires_text:
                cleaned[other_field] = text(other_field, required=True)
                if other_field in errors and not str(data.get(other_field) or "").strip():
                    errors[other_field] = _("Pilihan “Lainnya” memerlukan keterangan.")
            else:
                cleaned[other_field] = ""
    cleaned["institution_name"] = text("institution_name", required=True)

    disability = _yes_no(data.get("disability", False))
    kinds_raw = data.get("disability_kinds") or []
    if isinstance(kinds_raw, str):
        kinds_raw = [part for part in kinds_raw.split(",") if part.strip()]
    kinds = sorted({str(kind).strip() for kind in kinds_raw})
    kind_list = lists.get("disability_kind")
    if disability is None:
        errors["disability"] = _("Jawab ya atau tidak.")
    elif kind_list is not None:
        versions["disability_kind"] = kind_list.version
        known = {item.code for item in kind_list.items.all()}
        unknown = [kind for kind in kinds if kind not in known]
        if unknown:
            errors["disability_kinds"] = _("Pilihan tidak dikenal: %(code)s.") % {"code": ", ".join(unknown)}
        elif disability and not kinds:
            errors["disability_kinds"] = _("Pilih sedikitnya satu jenis disabilitas.")
    cleaned["disability"] = bool(disability)
    cleaned["disability_kinds"] = kinds if disability else []

    language = str(data.get("language") or visitor.language or "id")
    cleaned["language"] = language if language in {"id", "en"} else "id"
    if errors:
        raise GuestbookError(errors)
    cleaned["code_list_versions"] = versions
    return cleaned


def fill_guestbook(visitor: Visitor, *, office: Any, channel: str, data: dict[str, Any], by: Any) -> GuestbookEntry:
    """Store a filled electronic guestbook of `visitor` for `office`.

    Every code is checked against the code list version in force ("Lainnya" needs its text); any problem raises
    GuestbookError with a message per field and changes nothing. The visitor's name, e-mail and WhatsApp number
    are updated (normalised); a changed e-mail loses its verification, a changed number its WhatsApp proof.
    Audit: "guestbook.filled" (codes and which visitor fields changed, no personal values).
    """
    with transaction.atomic():
        visitor = _lock(visitor)
        _refuse_erased(visitor)
        cleaned = validate_guestbook(visitor, data)
        changed: list[str] = []
        for field in ("name", "email", "whatsapp", "language"):
            if cleaned[field] != getattr(visitor, field):
                setattr(visitor, field, cleaned[field])
                changed.append(field)
        if "email" in changed and visitor.email_verified_at is not None:
            visitor.email_verified_at = None
            changed.append("email_verified_at")
        if "whatsapp" in changed and visitor.whatsapp_verified_at is not None:
            visitor.whatsapp_verified_at = None
            changed.append("whatsapp_verified_at")
        if changed:
            visitor.save(update_fields=changed)
        entry = GuestbookEntry.objects.create(
            visitor=visitor,
            office=office,
            channel=channel,
            **{
                key: cleaned[key]
                for key in (
                    *CODE_FIELDS,
                    *OTHER_TEXT_FIELDS.values(),
                    "institution_name",
                    "disability",
                    "disability_kinds",
                    "code_list_versions",
                )
            },
        )
        record(
            "guestbook.filled",
            entry,
            by=by,
            office=office,
            after={
                "visitor": visitor.pk,
                "channel": channel,
                "codes": {field: cleaned[field] for field in CODE_FIELDS},
                "disability": cleaned["disability"],
                "versions": cleaned["code_list_versions"],
                "visitor_fields_changed": changed,
            },
        )
        return entry


# --- consent -----------------------------------------------------------------------------------------------------


def give_consent(visitor: Visitor, *, notice_version: str, channel: str, by: Any) -> Consent:
    """Record the visitor's consent to the privacy notice `notice_version` (must be the version in force).
    Consenting again to the same version returns the active consent unchanged (no new row, no audit).
    Audit: "consent.given"."""
    if notice_version != PRIVACY_NOTICE_VERSION:
        raise GuestbookError(
            {"consent": _("Versi pemberitahuan privasi tidak berlaku: %(v)s.") % {"v": notice_version}}
        )
    with transaction.atomic():
        visitor = _lock(visitor)
        _refuse_erased(visitor)
        active = visitor.consents.filter(notice_version=notice_version, withdrawn_at__isnull=True).first()
        if active is not None:
            return active
        consent = Consent.objects.create(visitor=visitor, notice_version=notice_version, channel=channel)
        record(
            "consent.given",
            consent,
            by=by,
            after={"visitor": visitor.pk, "notice_version": notice_version, "channel": channel},
        )
        return consent


def withdraw_consent(visitor: Visitor, *, channel: str, by: Any) -> int:
    """Withdraw every active consent of the visitor (UU 27/2022: processing must then stop). Returns how many
    consents were withdrawn; raises GuestbookError when there is none. Audit: "consent.withdrawn"."""
    with transaction.atomic():
        visitor = _lock(visitor)
        active = list(visitor.consents.filter(withdrawn_at__isnull=True))
        if not active:
            raise GuestbookError({"consent": _("Tidak ada persetujuan aktif untuk ditarik.")})
        now = timezone.now()
        Consent.objects.filter(pk__in=[c.pk for c in active]).update(withdrawn_at=now, withdrawn_channel=channel)
        record(
            "consent.withdrawn",
            visitor,
            by=by,
            after={"consents": [c.pk for c in active], "channel": channel},
        )
        return len(active)


# --- e-mail verification ---------------------------------------------------------------------------------------


def _code_hash(verification_email: str, visitor_id: int, code: str) -> str:
    # Keyed with SECRET_KEY: a copy of the table alone is not enough to try the million codes offline.
    message = f"{visitor_id}:{verification_email.lower()}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def start_email_verification(visitor: Visitor, *, email: str, by: Any, ip: str = "", office: Any = None) -> None:
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


def verify_email(visitor: Visitor, *, code: str, by: Any, ip: str = "", office: Any = None) -> Visitor:
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


def _complete_verification(visitor: Visitor, verification: EmailVerification, *, now: Any, by: Any) -> Visitor:
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
        Visitor.objects.filter(email_channel_address__iexact=address, merged_into__isnull=True, erased_at__isnull=True)
        .exclude(pk=survivor.pk)
        .filter(wa_id__isnull=True, wa_user_id__isnull=True, whatsapp_verified_at__isnull=True)
        .exclude(email_verified_at__isnull=False)
    ):
        survivor = merge_visitors(other, survivor, reason=VisitorMerge.Reason.VERIFIED_EMAIL, by=by)
    return survivor


# --- merge and erase -----------------------------------------------------------------------------------------------


def _visitor_relations() -> list[models.ForeignObjectRel]:
    """Every foreign key of any app that points at Visitor (consultations, guestbook entries, consents, channel
    sessions, ratings…), so a merge moves all of them without this app knowing the others."""
    return [
        rel
        for rel in Visitor._meta.get_fields(include_hidden=True)
        if isinstance(rel, models.ForeignObjectRel)
        and (rel.one_to_many or rel.one_to_one)
        and rel.related_model is not VisitorMerge
    ]


def merge_visitors(source: Visitor, target: Visitor, *, reason: str, by: Any) -> Visitor:
    """Join two identities of one person: everything that points at `source` (consultations, guestbook entries,
    consents, verifications, other apps' rows, visitors merged into it) moves to `target`; `target` gains the
    identifiers it lacks; `source.merged_into = target`. Writes a VisitorMerge row and the audit row
    "visitor.merged"; after commit, "visitor.changed" to the source's sockets. Returns the target (re-read)."""
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

        # Identifiers the target lacks. Unique keys leave the source first so the constraint never sees two.
        copied: list[str] = []
        for key in ("wa_id", "wa_user_id", "email_channel_address"):
            if getattr(source, key) and not getattr(target, key):
                setattr(target, key, getattr(source, key))
                setattr(source, key, None)
                copied.append(key)
        source.merged_into = target
        source.save(update_fields=["merged_into", "wa_id", "wa_user_id", "email_channel_address"])
        if source.name and not target.name:
            target.name = source.name
            copied.append("name")
        # A proven address beats a claimed one; otherwise the target keeps its own.
        if source.email and (not target.email or (source.email_verified and not target.email_verified)):
            target.email = source.email
            target.email_verified_at = source.email_verified_at
            copied.append("email")
        if source.whatsapp and (
            not target.whatsapp or (source.whatsapp_verified_at and not target.whatsapp_verified_at)
        ):
            target.whatsapp = source.whatsapp
            target.whatsapp_verified_at = source.whatsapp_verified_at
            copied.append("whatsapp")
        target.save(
            update_fields=[
                "wa_id",
                "wa_user_id",
                "email_channel_address",
                "name",
                "email",
                "email_verified_at",
                "whatsapp",
                "whatsapp_verified_at",
            ]
        )
        moved["identifiers"] = copied
        merge = VisitorMerge.objects.create(
            source_id=source.pk,
            target=target,
            reason=reason,
            merged_by=by if isinstance(by, User) else None,
            merged_by_label=by if isinstance(by, str) else "",
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


def _may_erase(visitor: Visitor, by: Any) -> bool:
    if isinstance(by, str):
        return by == visitor_label(visitor) or by.startswith("system")
    from pstdesk.accounts.models import Role

    return bool(getattr(by, "is_superuser", False) or getattr(by, "role", None) in {Role.MANAGER, Role.ADMIN})


def erase_visitor(visitor: Visitor, *, by: Any) -> Visitor:
    """The right to deletion (UU 27/2022): blank the personal data of the visitor and of every identity merged into
    it (name, e-mail, WhatsApp number and ids, the guestbook's free texts), delete pending verification codes and
    withdraw consents; keep the coded answers and counts as anonymous statistics. Allowed to the visitor themself
    ("visitor:<id>"), the system, a service manager, an administrator. Audit: "visitor.erased"."""
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
            whatsapp_verified_at=None,
            wa_id=None,
            wa_user_id=None,
            email_channel_address=None,
            erased_at=now,
        )
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
