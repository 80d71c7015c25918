"""The guestbook itself: the coded answers, their validation, and filling the guestbook (with consent)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.guestbook.actions._shared import (
    TEXT_MAX,
    GuestbookError,
    _clean_email,
    _clean_whatsapp,
    _lock,
    _refuse_erased,
    visitor_actor,
)
from pstdesk.guestbook.actions.consent import PRIVACY_NOTICE_VERSION, give_consent
from pstdesk.guestbook.actions.identity import identify_visitor
from pstdesk.guestbook.models import (
    CodeList,
    GuestbookEntry,
    Visitor,
)
from pstdesk.lib.actors import Actor, ChannelActor

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


def current_code_lists() -> dict[str, CodeList]:
    """The code list version in force for each list name (the newest already effective)."""
    today = timezone.localdate()
    lists: dict[str, CodeList] = {}
    for code_list in CodeList.objects.filter(effective_from__lte=today).prefetch_related("items"):
        known = lists.get(code_list.name)
        if known is None or code_list.version > known.version:
            lists[code_list.name] = code_list
    return lists


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


def fill_guestbook(visitor: Visitor, *, office: Any, channel: str, data: dict[str, Any], by: Actor) -> GuestbookEntry:
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
        # A new number is a claim again by itself: only a channel identity keyed by it proves it
        # (`Visitor.whatsapp_proven`).
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


def fill_guestbook_with_consent(
    visitor: Visitor | None, *, office: Any, channel: str, data: dict[str, Any], by: Actor | None = None
) -> GuestbookEntry:
    """The guestbook form's whole save: fill the guestbook and consent to the current privacy notice in one
    transaction, creating the visitor when there is none yet (as `ChannelActor(channel)` unless `by` says who).
    Refused as a whole (`GuestbookError`, nothing changed) when either step is."""
    with transaction.atomic():
        if visitor is None:
            visitor = identify_visitor(by=by or ChannelActor(channel))
        actor = by or visitor_actor(visitor)
        entry = fill_guestbook(visitor, office=office, channel=channel, data=data, by=actor)
        give_consent(entry.visitor, notice_version=PRIVACY_NOTICE_VERSION, channel=channel, by=actor)
    return entry
