"""Pages of the LiveChat channel: the `/widget.js` loader, the widget's frame, the PST From Anywhere page, and
attachment downloads for visitors. The JSON endpoints the chat calls are in `endpoints.py`."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from pstdesk.channels.web import chat, limits
from pstdesk.channels.web.models import WidgetSession
from pstdesk.consultations.models import Attachment
from pstdesk.guestbook.actions import PRIVACY_NOTICE_VERSION
from pstdesk.guestbook.forms import GuestbookForm
from pstdesk.offices.models import Channel, Office
from pstdesk.offices.offering import channel_terms, published_requirements, require_offered
from pstdesk.offices.presentation import complaint_link, display_address, hours_rows, text_in
from pstdesk.ratings.skm import ELEMENTS

LANGUAGES = {"id", "en"}


def pick_language(request: HttpRequest) -> str:
    lang = request.GET.get("lang") or request.headers.get("X-Widget-Lang") or ""
    if lang in LANGUAGES:
        return lang
    return (translation.get_language() or "id").split("-")[0] if translation.get_language() else "id"


@lru_cache(maxsize=1)
def _loader_source() -> str:
    return resources.files("pstdesk.channels.web").joinpath("static/channels/web/loader.js").read_text(encoding="utf-8")


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    """The embed loader. Cached briefly by browsers and proxies; it carries no per-office data."""
    source = _loader_source() if not settings.DEBUG else _loader_source.__wrapped__()
    response = HttpResponse(source, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def available(request: HttpRequest, office_code: str) -> HttpResponse:
    """Whether the loader may show the launcher: 204 when the office's standard offers the website LiveChat,
    404 otherwise. Readable from any origin (the loader runs on the office's website); it carries no data."""
    office = get_object_or_404(Office, code=office_code)
    require_offered(office, Channel.LIVECHAT_WEBSITE)
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


def content_security_policy(request: HttpRequest, *, ancestors: str) -> str:
    """A strict policy for pages running the chat: our own scripts and styles only, sockets to this host."""
    host = request.get_host()
    ws = ("wss://" if request.is_secure() else "ws://") + host
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            f"connect-src 'self' {ws}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )


def chat_strings() -> dict[str, str]:
    """Texts the chat script shows, in the active language (the script never builds HTML from them)."""
    return {
        "you": _("Anda"),
        "officer": _("Petugas PST"),
        "system": _("Pesan otomatis"),
        "sending": _("Mengirim…"),
        "sent": _("Terkirim"),
        "read": _("Dibaca"),
        "failed": _("Gagal terkirim."),
        "retry": _("Kirim ulang"),
        "waiting": _("Menunggu…"),
        "connected": _("Tersambung"),
        "connecting": _("Menyambung…"),
        "reconnecting": _("Sambungan terputus. Menyambung ulang…"),
        "offline_network": _("Anda sedang luring. Pesan akan dikirim saat tersambung lagi."),
        "typing": _("Petugas sedang mengetik…"),
        "uploading": _("Mengunggah…"),
        "attachment": _("Lampiran"),
        "code_sent": _("Kode dikirim ke %(email)s. Periksa kotak masuk (dan folder spam)."),
        "verified": _("E-mail terverifikasi."),
        "rating_thanks": _("Terima kasih atas penilaian Anda."),
        "skm_thanks": _("Terima kasih, survei kepuasan Anda telah kami terima."),
        "transcript_sent": _("Transkrip dikirim ke %(email)s."),
        "error": _("Terjadi kesalahan. Coba lagi."),
        "network_error": _("Tidak dapat menghubungi server. Periksa sambungan Anda, lalu coba lagi."),
        "too_long": _("Pesan terlalu panjang."),
        "ended": _("Percakapan telah selesai."),
        "status": _("Status"),
        "new_message": _("Pesan baru dari petugas"),
        "next_opening": _("Jam pelayanan berikutnya: %(when)s."),
        "offline_done": _(
            "Konsultasi Anda sudah tercatat dan akan dilayani mulai %(when)s. Buka kembali obrolan ini untuk membaca "
            "balasan petugas."
        ),
        "offline_done_soon": _("Konsultasi Anda sudah tercatat dan akan dilayani pada jam pelayanan berikutnya."),
    }


def _skm_elements() -> Any:

    return ELEMENTS


def chat_context(request: HttpRequest, office: Office, *, channel: str, lang: str, inline: bool) -> dict[str, Any]:
    """What both the widget frame and the PFA page give the chat script (a JSON data block, no inline script)."""

    return {
        "office": office,
        "guestbook_form": GuestbookForm(auto_id="gb_%s"),
        "privacy_url": _privacy_url(lang, office.code),
        "notice_version": PRIVACY_NOTICE_VERSION,
        "strings": chat_strings(),
        "max_chars": settings.MESSAGE_MAX_CHARS,
        "skm_elements": _skm_elements(),
        "chat": {
            "office": office.code,
            "channel": channel,
            "lang": lang,
            "inline": inline,
            "api": reverse("channel_web:api_root", kwargs={"office_code": office.code}),
            "socket": f"/ws/widget/{office.code}/",
            "max_chars": settings.MESSAGE_MAX_CHARS,
            "max_bytes": settings.ATTACHMENT_MAX_BYTES,
        },
    }


def _privacy_url(lang: str, office_code: str) -> str:
    """The privacy notice as this office states it (its retention period)."""
    return reverse("guestbook:privacy") + f"?lang={lang}&kantor={office_code}"


@xframe_options_exempt
@require_GET
def frame(request: HttpRequest, office_code: str) -> HttpResponse:
    """The widget's window, loaded in an iframe by `/widget.js` on the office's website (and only there:
    CSP frame-ancestors lists the office's origins)."""
    office = get_object_or_404(Office, code=office_code)
    require_offered(office, Channel.LIVECHAT_WEBSITE)  # an office whose standard has no website LiveChat: 404
    lang = pick_language(request)
    with translation.override(lang):
        response = render(
            request,
            "channels/web/frame.html",
            chat_context(request, office, channel=Channel.LIVECHAT_WEBSITE, lang=lang, inline=False),
        )
    response["Content-Security-Policy"] = content_security_policy(request, ancestors=limits.frame_ancestors(office))
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def _complaint_channels(standard: Any) -> list[dict[str, str]]:
    rows = []
    for item in (standard.complaint_channels if standard else []) or []:
        if not isinstance(item, dict):
            continue
        rows.append(
            {
                "heading": text_in(item.get("heading")),
                "label": text_in(item.get("label")),
                "address": display_address(item),
                "href": complaint_link(item),
            }
        )
    return rows


@require_GET
def pfa(request: HttpRequest, office_code: str) -> HttpResponse:
    """PST From Anywhere: the office, its service hours and standard in brief, its complaint channels, and the
    chat inline (channel `livechat_pfa`)."""
    office = get_object_or_404(Office, code=office_code)
    standard = office.standard
    if standard is None:
        raise Http404
    require_offered(office, Channel.LIVECHAT_PFA)  # only an office whose standard offers PST From Anywhere
    lang = pick_language(request)
    with translation.override(lang):
        context = chat_context(request, office, channel=Channel.LIVECHAT_PFA, lang=lang, inline=True)
        steps = (standard.procedures or {}).get(Channel.LIVECHAT_PFA) or []
        terms = channel_terms(standard, Channel.LIVECHAT_PFA)
        context.update(
            {
                "standard": standard,
                "lang": lang,
                "title": text_in(standard.title),
                "hours": hours_rows(terms.service_hours or {}, office.timezone),
                "terms": terms,
                "hours_text": text_in(standard.service_hours_text),
                "product": text_in(standard.product),
                "cost": text_in(standard.cost),
                "requirements": [text_in(r.get("text")) for r in published_requirements(standard)],
                "steps": [text_in(s.get("text")) for s in steps if isinstance(s, dict)],
                "complaints": _complaint_channels(standard),
            }
        )
        response = render(request, "channels/web/pfa.html", context)
    response["Content-Security-Policy"] = content_security_policy(request, ancestors="'none'")
    response["Referrer-Policy"] = "same-origin"
    return response


@require_GET
def download(request: HttpRequest, office_code: str, token: str) -> FileResponse:
    """An attachment of the visitor's own consultation, through a signed link bound to their (usable) session."""
    parsed = chat.read_file_token(token)
    if parsed is None:
        raise Http404
    attachment_id, session_id = parsed
    session = WidgetSession.objects.usable().filter(pk=session_id, office_id=office_code).first()
    if session is None:
        raise Http404
    attachment = (
        Attachment.objects.select_related("message__consultation")
        .filter(
            pk=attachment_id,
            message__consultation__office_id=office_code,
            message__consultation__visitor_id=session.visitor_id,
        )
        .exclude(message__kind="note")
        .first()
    )
    if attachment is None:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
