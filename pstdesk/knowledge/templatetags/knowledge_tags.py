"""`{% portal_links office as links %}`: the links of the PFA page and the widget (see `queries.portal_links`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from pstdesk.knowledge.queries import portal_links as _portal_links

register = template.Library()


@register.simple_tag
def portal_links(office: Any) -> list[dict[str, str]]:
    return _portal_links(office)


@register.simple_tag
def console_strings() -> dict[str, str]:
    """The console panel's texts for its script (rendered with `json_script`)."""
    return {
        "insert": _("Sisipkan"),
        "open": _("Buka"),
        "none": _("Belum ada saran untuk pesan terakhir pengguna."),
        "failed": _("Saran tidak dapat dimuat; balasan tetap bisa ditulis."),
        "kbliFailed": _("Pencarian KBLI gagal; coba lagi."),
        "found": _("entri ditemukan"),
        "under": _("Di bawahnya"),
        "similar": _("Konsultasi serupa yang sudah selesai"),
        "articles": _("Artikel"),
        "canned": _("Balasan siap pakai"),
    }
