"""Turning a service standard's data into what people read: bilingual texts in the active language, service
hours grouped by day ("Senin–Kamis 08.00–16.00 WITA"), and links for complaint channels and contacts.

Model-free and side-effect-free: the public page, the API and other apps' messages (out-of-hours replies) use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = {
    "mon": _("Senin"),
    "tue": _("Selasa"),
    "wed": _("Rabu"),
    "thu": _("Kamis"),
    "fri": _("Jumat"),
    "sat": _("Sabtu"),
    "sun": _("Minggu"),
}

# Indonesia's three civil time zones and their official abbreviations.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_abbreviation(timezone_name: str) -> str:
    """WIB/WITA/WIT for Indonesian zones; the IANA name itself for any other zone."""
    return ZONE_ABBREVIATIONS.get(timezone_name, timezone_name)


def active_language() -> str:
    return (get_language() or "id").split("-")[0]


def text_in(value: Any, language: str | None = None) -> str:
    """The text of a bilingual value {"id": ..., "en": ...} in `language` (default: the active one), falling back
    to Indonesian, the language the standards are published in. Plain strings pass through; empty gives ""."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        language = language or active_language()
        return str(value.get(language) or value.get("id") or next(iter(value.values()), ""))
    return str(value)


def format_clock(hhmm: str) -> str:
    """'08:00' → '08.00', the way Indonesian documents write times."""
    return hhmm.replace(":", ".")


@dataclass(frozen=True)
class HoursRow:
    days: str  # "Senin–Kamis" or "Jumat" (in the active language)
    first_day: str  # "mon"
    last_day: str
    opens: str | None  # "08:00"; None when closed
    closes: str | None
    text: str  # "08.00–16.00 WITA", or "Tutup"


def hours_rows(service_hours: dict[str, Any], timezone_name: str) -> list[HoursRow]:
    """Consecutive weekdays with the same hours, as rows. Closed days at the end (the weekend) form one row."""
    zone = zone_abbreviation(timezone_name)
    groups: list[tuple[list[str], tuple[str, str] | None]] = []
    for day in WEEKDAYS:
        span = service_hours.get(day)
        key = (span[0], span[1]) if span else None
        if groups and groups[-1][1] == key:
            groups[-1][0].append(day)
        else:
            groups.append(([day], key))
    rows = []
    for days, key in groups:
        first, last = days[0], days[-1]
        label = str(WEEKDAY_NAMES[first]) if first == last else f"{WEEKDAY_NAMES[first]}–{WEEKDAY_NAMES[last]}"
        if key is None:
            rows.append(HoursRow(label, first, last, None, None, str(_("Tutup"))))
        else:
            text = f"{format_clock(key[0])}–{format_clock(key[1])} {zone}"
            rows.append(HoursRow(label, first, last, key[0], key[1], text))
    return rows


def whatsapp_link(number: str) -> str:
    """A wa.me link for an Indonesian number written as 0812…, 62812… or +62 812-…; "" when not a number."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits:
        return ""
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return f"https://wa.me/{digits}"


def complaint_link(channel: dict[str, Any]) -> str:
    """Where a complaint channel's address leads (an https, mailto, tel or wa.me link), or "" (the box)."""
    address = str(channel.get("address") or "").strip()
    kind = channel.get("kind")
    if not address:
        return ""
    if kind in {"website", "online_form"}:
        return address if address.startswith(("http://", "https://")) else f"https://{address}"
    if kind == "email":
        return f"mailto:{address}"
    if kind == "phone":
        return "tel:" + "".join(ch for ch in address if ch.isdigit() or ch == "+")
    if kind == "whatsapp":
        return whatsapp_link(address)
    return ""


def display_address(channel: dict[str, Any]) -> str:
    """The address as the standard writes it, minus a scheme ("https://www.lapor.go.id" → "www.lapor.go.id")."""
    address = str(channel.get("address") or "")
    for scheme in ("https://", "http://"):
        if address.startswith(scheme):
            return address[len(scheme) :]
    return address
