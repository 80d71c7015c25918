"""What a visitor still has to give before the service standard's requirements are complete (the SLA clock starts
only then), and how to tell them in their channel.

The office's standard in force lists its requirements by code (`ServiceStandard.requirements`):

- `guestbook` → "guestbook": the consultation's guestbook entry, or the visitor's latest entry for that office,
  exists, and the visitor consents to the privacy notice in force;
- `active_email` → "verified_email": the visitor's e-mail address is verified;
- `whatsapp_account` → "whatsapp_number": the visitor has a WhatsApp number;
- on the e-mail channel, when the e-mail procedure has an "introduce" step (or the code `introduction` is listed)
  → "introduction": `consultation.introduction_given` (the mail introduced the sender, or an officer accepted the
  introduction), or a guestbook entry of the visitor for that office (filling the guestbook counts as introduced).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from pstdesk.guestbook.actions import has_current_consent
from pstdesk.guestbook.models import GuestbookEntry
from pstdesk.lib.actors import Actor

# In the order they are asked for.
REQUIREMENT_ORDER = ("guestbook", "verified_email", "whatsapp_number", "introduction")
# The items met on the guestbook page (a link to it helps the visitor); the introduction is met in the channel.
GUESTBOOK_ITEMS = frozenset({"guestbook", "verified_email", "whatsapp_number"})
STANDARD_CODES = {"guestbook": "guestbook", "active_email": "verified_email", "whatsapp_account": "whatsapp_number"}


# What to do when a visitor gave something a standard may require (the guestbook, a verified e-mail): the
# consultation core registers `consultations.actions.refresh_visitor_requirements` here (in its AppConfig.ready),
# so the guestbook, which sits below the consultations, tells them without importing them.
_LISTENERS: list[Callable[..., Any]] = []


def on_requirements_given(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Register `listener(visitor, office, *, by=)` once."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def requirements_given(visitor: Any, office: Any, *, by: Actor) -> None:
    """Tell the registered listeners that `visitor` gave something the standard of `office` may require."""
    for listener in _LISTENERS:
        listener(visitor, office, by=by)


def _codes(requirements: Any) -> set[str]:
    codes: set[str] = set()
    for item in requirements or []:
        code = item.get("code") if isinstance(item, dict) else item
        if isinstance(code, str):
            codes.add(code)
    return codes


def required_items(standard: Any, channel: str) -> list[str]:
    """The items the standard asks of a visitor on `channel`, in REQUIREMENT_ORDER."""
    if standard is None:
        return []
    codes = _codes(standard.requirements)
    wanted = {STANDARD_CODES[code] for code in codes if code in STANDARD_CODES}
    if channel == "email":
        steps = (standard.procedures or {}).get("email") or []
        if "introduction" in codes or any(isinstance(s, dict) and s.get("action") == "introduce" for s in steps):
            wanted.add("introduction")
    return [item for item in REQUIREMENT_ORDER if item in wanted]


def missing_requirements(consultation: Any) -> list[str]:
    """The requirement items still missing for this consultation (empty when complete), in REQUIREMENT_ORDER."""

    wanted = required_items(consultation.office.standard, consultation.channel)
    visitor = consultation.visitor
    missing: list[str] = []
    for item in wanted:
        if item == "guestbook":
            has_entry = consultation.guestbook_entry_id is not None or (
                GuestbookEntry.objects.filter(visitor=visitor, office_id=consultation.office_id).exists()
            )
            if not (has_entry and has_current_consent(visitor)):
                missing.append(item)
        elif item == "verified_email":
            if visitor.email_verified_at is None or not visitor.email:
                missing.append(item)
        elif item == "whatsapp_number":
            if not visitor.whatsapp:
                missing.append(item)
        elif item == "introduction" and not consultation.introduction_given:
            # A guestbook entry for this office (name and institution) is an introduction too, so an e-mail
            # consultation whose visitor filled the guestbook never waits for one.
            introduced = bool(visitor.name) and (
                consultation.guestbook_entry_id is not None
                or GuestbookEntry.objects.filter(visitor=visitor, office_id=consultation.office_id).exists()
            )
            if not introduced:
                missing.append(item)
    return missing


def requirements_message(missing: list[str], *, language: str, link: str | None) -> str:
    """The message that tells a visitor, in their channel and language ("id" or "en"), what is still missing,
    with the link to the web guestbook when one is given. Empty when nothing is missing."""
    if not missing:
        return ""
    with translation.override(language if language in {"id", "en"} else "id"):
        texts = {
            "guestbook": _("isi buku tamu elektronik dan setujui pemberitahuan privasi"),
            "verified_email": _("verifikasi alamat e-mail aktif Anda (kode dikirim ke e-mail Anda)"),
            "whatsapp_number": _("berikan nomor WhatsApp Anda"),
            "introduction": _(
                "perkenalkan diri Anda: nama dan instansi/universitas, lalu data atau hal yang ingin dikonsultasikan"
            ),
        }
        lines = [_("Sebelum konsultasi dapat kami proses sesuai standar pelayanan, mohon:")]
        lines += [f"{n}. {texts.get(item, item)}" for n, item in enumerate(missing, start=1)]
        if link and any(item in GUESTBOOK_ITEMS for item in missing):
            lines.append(_("Isi di sini: %(link)s") % {"link": link})
        if "introduction" in missing:
            lines.append(_("Untuk perkenalan, cukup balas pesan ini."))
        return "\n".join(lines)
