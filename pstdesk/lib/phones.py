"""Phone numbers: everything the service stores is E.164 ("+6281234567890"), parsed by `phonenumbers` with
Indonesia as the default region, so the ways Indonesians write a number (0812…, 62812…, +62 812-…) agree."""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext as _

DEFAULT_REGION = "ID"
MAX_INPUT_CHARS = 40


def normalize_whatsapp(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a phone number written by a person or sent by a provider.

    Raises ValueError with a message fit to show the visitor when the text is not a valid phone number.
    A bare "62…" (as WhatsApp writes wa_id) is read as a number with its country code.
    """
    text = (raw or "").strip()
    if not text:
        raise ValueError(_("Nomor WhatsApp kosong."))
    if len(text) > MAX_INPUT_CHARS:
        raise ValueError(_("Nomor WhatsApp terlalu panjang."))
    if any(ch.isalpha() for ch in text):
        raise ValueError(_("Nomor WhatsApp tidak valid: hanya boleh berisi angka, spasi, tanda + dan -."))
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        raise ValueError(_("Nomor WhatsApp tidak valid: tidak ada angka."))
    candidates = [text]
    if not text.startswith(("+", "0")):
        # "62812…" (wa_id style) or "6512…" in another country: try it as an international number first.
        candidates.insert(0, "+" + digits)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValueError(
        _("Nomor WhatsApp tidak valid: %(number)s. Tulis seperti 0812-3456-7890 atau +62 812-3456-7890.")
        % {"number": text}
    )


def is_valid_whatsapp(raw: str) -> bool:
    try:
        normalize_whatsapp(raw)
    except ValueError:
        return False
    return True
