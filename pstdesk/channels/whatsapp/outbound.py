"""Sending outbox rows through the Cloud API: rendering, the 24-hour window, pacing and error mapping.

`WhatsAppAdapter.send` (in `adapter.py`) calls `send_outbound`. The core has claimed the row; here:
- an `OutboundSend` row per (message, part) remembers what Meta accepted, so a retried attempt never sends a part
  twice, and `biz_opaque_callback_data` carries our message id so statuses map back even before the core stored
  the wamid;
- free-form messages only within 24 hours of the visitor's last inbound message (refused before sending, with a
  clear error, outside it); a rating request outside the window becomes the approved rating template with a link;
- per-number and per-recipient token buckets in the Django cache; exhausted → retryable `ChannelError`;
- Graph errors: 5xx, 429, 130429, 131056 (and other throttling codes) → retryable; 131047 and other 4xx → permanent,
  with Meta's code and message shown to the officer.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pstdesk.channels.base import ChannelError, OutboundMessage, ProviderRef
from pstdesk.channels.whatsapp import accounts, client
from pstdesk.channels.whatsapp.models import OutboundSend, TemplateStatus, WhatsAppTemplate
from pstdesk.channels.whatsapp.parsing import USER_IDENTITY, WA_ID_IDENTITY
from pstdesk.consultations.models import Attachment, Message
from pstdesk.ratings.links import rating_url

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
RATING_TEMPLATE = "pst_penilaian"
# Defaults of Meta's limits; override in settings (tests) with WHATSAPP_NUMBER_RATE / WHATSAPP_PAIR_*.
NUMBER_RATE = 80.0  # messages per second per business number
PAIR_BURST = 45.0  # messages to one user at once
PAIR_PERIOD = 6.0  # seconds per message to one user, sustained
SCORES = (5, 4, 3, 2, 1)


class Paced(ChannelError):
    """Our own rate limit is exhausted: try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, permanent=False, code="paced")
        self.retry_after = retry_after


# --- the window -------------------------------------------------------------------------------------------------


def window_closes_at(consultation: Any) -> datetime | None:
    """When free-form messages stop being allowed (24 h after the visitor's last message); None if never open."""
    last = consultation.last_inbound_at
    return last + WINDOW if last is not None else None


def window_open(consultation: Any, *, now: datetime | None = None) -> bool:
    closes = window_closes_at(consultation)
    return closes is not None and (now or timezone.now()) < closes


# --- pacing -----------------------------------------------------------------------------------------------------


def take_token(key: str, *, capacity: float, per_second: float) -> float:
    """Take one token from the bucket `key` (in the shared cache). Returns 0 when taken, else the seconds to wait.
    Not strictly atomic across processes: a rare overshoot is answered by Meta's own 130429/131056, which retries."""
    now = time.time()
    tokens, last = cache.get(key) or (capacity, now)
    tokens = min(capacity, tokens + (now - last) * per_second)
    if tokens < 1.0:
        cache.set(key, (tokens, now), timeout=3600)
        return (1.0 - tokens) / per_second
    cache.set(key, (tokens - 1.0, now), timeout=3600)
    return 0.0


def pace(phone_number_id: str, recipient: str) -> None:
    number_rate = float(getattr(settings, "WHATSAPP_NUMBER_RATE", NUMBER_RATE))
    burst = float(getattr(settings, "WHATSAPP_PAIR_BURST", PAIR_BURST))
    period = float(getattr(settings, "WHATSAPP_PAIR_PERIOD", PAIR_PERIOD))
    wait = take_token(f"wa:pace:number:{phone_number_id}", capacity=number_rate, per_second=number_rate)
    if wait:
        raise Paced(_("Batas kecepatan nomor WhatsApp tercapai; dicoba lagi sebentar lagi."), retry_after=wait)
    wait = take_token(f"wa:pace:pair:{phone_number_id}:{recipient}", capacity=burst, per_second=1.0 / period)
    if wait:
        raise Paced(_("Terlalu banyak pesan ke pengguna ini dalam waktu singkat; dicoba lagi."), retry_after=wait)


# --- rendering --------------------------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def buttons(body: str, options: list[tuple[str, str]]) -> dict[str, Any]:
    """Reply buttons (at most 3, title ≤ 20)."""
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": _clip(body, 1024)},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": rid, "title": _clip(title, 20)}} for rid, title in options[:3]
                ]
            },
        },
    }


def list_message(body: str, button: str, rows: list[tuple[str, str, str]], *, section: str = "") -> dict[str, Any]:
    """A list (≤ 10 rows; row title ≤ 24, description ≤ 72; button ≤ 20)."""
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": _clip(body, 4096)},
            "action": {
                "button": _clip(button, 20),
                "sections": [
                    {
                        "title": _clip(section or button, 24),
                        "rows": [
                            {"id": rid, "title": _clip(title, 24), "description": _clip(desc, 72)}
                            for rid, title, desc in rows[:10]
                        ],
                    }
                ],
            },
        },
    }


def rating_list(consultation_id: int, body: str, language: str = "id") -> dict[str, Any]:
    """The score question: five scores do not fit in three reply buttons, so a list of five rows."""
    with override(language):
        labels = {5: _("Sangat puas"), 4: _("Puas"), 3: _("Cukup"), 2: _("Kurang puas"), 1: _("Tidak puas")}
        return list_message(
            body,
            _("Beri nilai"),
            [(f"pst:score:{consultation_id}:{n}", f"{n} ★ {labels[n]}", "") for n in SCORES],
            section=_("Penilaian"),
        )


def _rating_link(consultation: Any) -> str:
    """The page where the visitor rates this consultation (explicit submit only)."""

    return rating_url(consultation)


def find_template(waba_id: str, name: str, language: str) -> WhatsAppTemplate | None:
    """An approved template by name, in the visitor's language if possible (id, then en_US/en, then any)."""
    rows = list(WhatsAppTemplate.objects.filter(waba_id=waba_id, name=name, status=TemplateStatus.APPROVED))
    if not rows and waba_id:
        try:
            # cycle: channels.whatsapp.actions imports this module (sending a template)
            from pstdesk.channels.whatsapp.actions import sync_templates

            sync_templates(waba_id)
        except client.GraphError as exc:
            log.warning("template sync for %s failed: %s", waba_id, exc)
        rows = list(WhatsAppTemplate.objects.filter(waba_id=waba_id, name=name, status=TemplateStatus.APPROVED))
    for wanted in (language, {"id": "id", "en": "en_US"}.get(language, language), "id", "en_US", "en"):
        for row in rows:
            if row.language == wanted:
                return row
    return rows[0] if rows else None


def template_body(name: str, language: str, params: list[str]) -> dict[str, Any]:
    components = [{"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in params]}] if params else []
    return {"type": "template", "template": {"name": name, "language": {"code": language}, "components": components}}


def render(message: Any, outbound: OutboundMessage, *, in_window: bool) -> list[dict[str, Any]]:
    """The Graph message bodies (without recipient) of one outbox row, in order: attachments first, the text or
    interactive part last. Raises a permanent ChannelError when it cannot go out (outside the window)."""
    consultation = message.consultation
    payload = outbound.payload or {}
    language = getattr(consultation.visitor, "language", "id") or "id"
    if payload.get("whatsapp_template"):
        spec = payload["whatsapp_template"]
        return [template_body(spec["name"], spec["language"], list(spec.get("params") or []))]
    if payload.get("rating_request") and not in_window:
        template = find_template(accounts.business_account_id(consultation.office_id), RATING_TEMPLATE, language)
        if template is None:
            raise ChannelError(
                _("Di luar jendela 24 jam WhatsApp dan templat penilaian '%(name)s' belum disetujui/disinkronkan.")
                % {"name": RATING_TEMPLATE},
                permanent=True,
                code="no_template",
            )
        params = [_rating_link(consultation)][: template.body_param_count]
        return [template_body(template.name, template.language, params)]
    if not in_window:
        raise ChannelError(
            _(
                "Tidak terkirim: lebih dari 24 jam sejak pesan terakhir pengguna (aturan WhatsApp, kode 131047). "
                "Pesan bebas hanya boleh dalam 24 jam; kirim templat yang disetujui untuk menghubungi pengguna."
            ),
            permanent=True,
            code="131047",
        )
    bodies: list[dict[str, Any]] = []
    files = payload.get("attachments") or []
    for index, item in enumerate(files):
        kind = "image" if str(item.get("content_type", "")).startswith("image/") else "document"
        media: dict[str, Any] = {"attachment_id": item["id"]}
        if kind == "document":
            media["filename"] = item.get("filename", "")
        if index == len(files) - 1 and outbound.body and len(outbound.body) <= 1024 and not payload.get("whatsapp"):
            media["caption"] = outbound.body
        bodies.append({"type": kind, kind: media})
    if payload.get("whatsapp"):
        bodies.append(dict(payload["whatsapp"]))
    elif payload.get("rating_request"):
        bodies.append(rating_list(consultation.pk, outbound.body, language))
    elif outbound.body and not (bodies and bodies[-1][bodies[-1]["type"]].get("caption")):
        bodies.append({"type": "text", "text": {"body": outbound.body[:4096], "preview_url": True}})
    return bodies


def _upload(phone_number_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Replace our attachment id with a Graph media id (uploaded now)."""

    kind = body["type"]
    media = dict(body[kind])
    attachment_id = media.pop("attachment_id", None)
    if attachment_id is None:
        return body
    attachment = Attachment.objects.get(pk=attachment_id)
    with attachment.file.open("rb") as handle:
        content = handle.read()
    media["id"] = client.upload_media(
        phone_number_id, content=content, content_type=attachment.content_type, filename=attachment.filename
    )
    return {"type": kind, kind: media}


def graph_channel_error(exc: client.GraphError) -> ChannelError:
    text = _("WhatsApp menolak pesan: %(error)s") % {"error": str(exc)}
    if exc.ambiguous:
        # Meta may have accepted it: wait long enough for a status webhook to tell us (it carries our id).
        error = ChannelError(text, permanent=False, code="ambiguous")
        error.retry_after = 60  # type: ignore[attr-defined]
        return error
    error = ChannelError(text, permanent=not exc.retryable, code=str(exc.code or exc.http_status))
    if exc.retry_after:
        error.retry_after = exc.retry_after  # type: ignore[attr-defined]
    return error


def send_outbound(outbound: OutboundMessage) -> ProviderRef:

    message = (
        Message.objects.select_related("consultation__office", "consultation__visitor")
        .filter(pk=outbound.message_id)
        .first()
    )
    if message is None:
        raise ChannelError(f"outbox row {outbound.message_id} not found", permanent=True)
    consultation = message.consultation
    sent = {row.part: row.wamid for row in _sent_parts(message.pk)}
    if message.external_id and not sent:
        return ProviderRef(external_id=message.external_id)  # a status webhook already told us it went out
    phone_number_id = accounts.phone_number_id(consultation.office_id)
    if not phone_number_id:
        raise ChannelError(
            _("Kantor %(code)s belum punya nomor WhatsApp Cloud API (phone_number_id).")
            % {"code": consultation.office_id},
            permanent=True,
        )
    visitor = consultation.visitor
    to = outbound.recipient
    wa_id = to.key(WA_ID_IDENTITY) or "".join(ch for ch in (to.phone or visitor.whatsapp or "") if ch.isdigit())
    user_id = to.key(USER_IDENTITY)
    if wa_id:
        recipient: dict[str, str] = {"recipient_type": "individual", "to": wa_id}
    elif user_id:
        recipient = {"recipient_type": "individual", "recipient": user_id}
    else:
        raise ChannelError(_("Pengguna ini tidak punya nomor atau ID WhatsApp."), permanent=True)
    bodies = render(message, outbound, in_window=window_open(consultation))
    first = sent.get(0, "")
    for part, body in enumerate(bodies):
        if part in sent:
            continue
        pace(phone_number_id, wa_id or user_id)
        try:
            body = _upload(phone_number_id, body)
            answer = client.send_message(
                phone_number_id, {**recipient, **body, "biz_opaque_callback_data": _callback(message.pk, part)}
            )
        except client.GraphError as exc:
            raise graph_channel_error(exc) from exc
        wamid = str(((answer.get("messages") or [{}])[0]).get("id") or "")
        if not wamid:
            raise ChannelError(_("Jawaban WhatsApp tanpa id pesan."), permanent=False)
        _remember(message, part, wamid, phone_number_id, wa_id or user_id)
        first = first or wamid
    return ProviderRef(external_id=first)


def _callback(message_id: int, part: int) -> str:
    return f"pst:{message_id}" if part == 0 else f"pst:{message_id}:{part}"


def message_id_from_callback(data: str) -> tuple[int | None, int]:
    """(our message id, part) from `biz_opaque_callback_data`, or (None, 0)."""
    if not data.startswith("pst:"):
        return None, 0
    pieces = data.split(":")
    try:
        return int(pieces[1]), int(pieces[2]) if len(pieces) > 2 else 0
    except (IndexError, ValueError):
        return None, 0


def _sent_parts(message_id: int) -> list[OutboundSend]:
    return list(OutboundSend.objects.filter(message_id=message_id))


def _remember(message: Any, part: int, wamid: str, phone_number_id: str, recipient: str) -> None:
    try:
        with transaction.atomic():
            OutboundSend.objects.create(
                message=message, part=part, wamid=wamid, phone_number_id=phone_number_id, recipient=recipient
            )
    except IntegrityError:  # another worker recorded this part; Meta has both, nothing more to do here
        log.error("message %s part %s was sent twice (wamid %s)", message.pk, part, wamid)
