"""What the console's data panel shows: search results and table previews from the BPS Web API, in plain dicts.

The office's own domain is its code (BPS domains are the office codes: 5102 Tabanan), its province is the first
two digits + "00" and the nation is "0000". Every API failure becomes a `PanelError` with a sentence for the
officer; the panel shows it and the reply box is untouched.
"""

from __future__ import annotations

import html
import re
from typing import Any

import nh3
from django.utils.translation import gettext as _

from pstdesk.bpsapi.client import BpsApiError, BpsClient

SCOPES = ("office", "province", "nation")
KINDS = ("statictable", "publication", "pressrelease")
MAX_QUERY = 100
TABLE_TAGS = {"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "p", "br", "b", "i", "span", "sup"}
TABLE_ATTRIBUTES = {"th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}


class PanelError(Exception):
    """A message for the officer (`message`) and the HTTP status the endpoint answers."""

    def __init__(self, message: str, status: int, code: str) -> None:
        self.message = message
        self.status = status
        self.code = code
        super().__init__(message)


def domain_for(office_code: str, scope: str) -> str:
    """The BPS domain of the office, its province or the nation."""
    if scope == "nation" or not re.fullmatch(r"\d{4}", office_code):
        return "0000"
    if scope == "province":
        return office_code[:2] + "00"
    return office_code


def scope_choices(office: Any) -> list[tuple[str, str]]:
    code = str(office.code)
    return [
        ("office", f"{office.name} ({domain_for(code, 'office')})"),
        ("province", _("Provinsi (%(code)s)") % {"code": domain_for(code, "province")}),
        ("nation", _("Nasional (0000)")),
    ]


def _failure(exc: BpsApiError) -> PanelError:
    if exc.kind == "timeout":
        return PanelError(
            _("Web API BPS tidak menjawab tepat waktu. Coba lagi sebentar lagi; balasan tetap bisa dikirim."),
            504,
            "timeout",
        )
    if exc.kind == "not_configured":
        return PanelError(_("Web API BPS belum dikonfigurasi (kunci API belum diisi)."), 503, "not_configured")
    if exc.kind == "unreachable":
        return PanelError(_("Web API BPS tidak dapat dihubungi. Coba lagi nanti."), 502, "unreachable")
    detail = f" ({exc.message})" if exc.message else ""
    return PanelError(
        _("Web API BPS menjawab dengan galat%(detail)s. Coba lagi nanti.") % {"detail": detail}, 502, "error"
    )


def _domain_urls(client: BpsClient) -> dict[str, str]:
    """Domain code → its website (cached by the client); empty when the list cannot be had (links then come from
    the items themselves)."""
    try:
        return {str(d.get("domain_id")): str(d.get("domain_url") or "") for d in client.domains(type="all")}
    except BpsApiError:
        return {}


def _item(kind: str, raw: dict[str, Any], site: str) -> dict[str, Any]:
    if kind == "statictable":
        return {
            "id": str(raw.get("table_id", "")),
            "title": str(raw.get("title", "")),
            "date": str(raw.get("updt_date") or ""),
            "subject": str(raw.get("subj") or ""),
            "link": str(raw.get("excel") or site),
            "previewable": True,
        }
    id_field = "pub_id" if kind == "publication" else "brs_id"
    return {
        "id": str(raw.get(id_field, "")),
        "title": str(raw.get("title", "")),
        "date": str(raw.get("rl_date") or ""),
        "subject": str(raw.get("subj") or ""),
        "link": str(raw.get("pdf") or site),
        "previewable": False,
    }


def search(office: Any, *, query: str, scope: str, kind: str, page: int = 1) -> dict[str, Any]:
    """One page of tables, publications or press releases of the chosen domain whose title has the words."""
    query = " ".join(query.split())
    if not query:
        raise PanelError(_("Tulis kata yang dicari, misalnya “padi” atau “penduduk”."), 400, "empty")
    if len(query) > MAX_QUERY:
        raise PanelError(
            _("Kata pencarian terlalu panjang (paling banyak %(n)s karakter).") % {"n": MAX_QUERY}, 400, "long"
        )
    if scope not in SCOPES or kind not in KINDS:
        raise PanelError(_("Pilihan pencarian tidak dikenal."), 400, "invalid")
    domain = domain_for(str(office.code), scope)
    client = BpsClient()
    try:
        result = client.list_model(kind, domain=domain, keyword=query, page=max(1, page))
    except BpsApiError as exc:
        raise _failure(exc) from None
    site = _domain_urls(client).get(domain, "") if result.available else ""
    return {
        "ok": True,
        "domain": domain,
        "available": result.available,
        "items": [_item(kind, raw, site) for raw in result.items],
        "page": result.page,
        "pages": result.pages,
        "total": result.total,
        "message": ""
        if result.available
        else _("Web API BPS tidak memiliki data untuk pencarian ini (list-not-available)."),
    }


def preview_table(office: Any, *, scope: str, table_id: str) -> dict[str, Any]:
    """A static table: title, update date, link and its HTML reduced to plain table markup."""
    if scope not in SCOPES or not re.fullmatch(r"[0-9A-Za-z_-]{1,40}", table_id or ""):
        raise PanelError(_("Pilihan pencarian tidak dikenal."), 400, "invalid")
    domain = domain_for(str(office.code), scope)
    client = BpsClient()
    try:
        raw = client.static_table(domain=domain, table_id=table_id)
    except BpsApiError as exc:
        raise _failure(exc) from None
    if raw is None:
        raise PanelError(_("Tabel ini tidak tersedia di Web API BPS (not-available)."), 404, "not_available")
    # the API escapes the table's HTML once; unescape, then keep only table markup (no scripts, links or styles)
    table = nh3.clean(html.unescape(str(raw.get("table") or "")), tags=TABLE_TAGS, attributes=TABLE_ATTRIBUTES)
    item = _item("statictable", raw, _domain_urls(client).get(domain, ""))
    return {"ok": True, "domain": domain, **item, "html": table}
