"""The JSON endpoints of the chat (under `/widget/<office>/api/`), shared by the widget frame and the PFA page.

Authentication is the widget session token in the `X-Widget-Token` header (never a cookie), so these endpoints
are not exposed to cross-site request forgery and are exempt from Django's CSRF check. Every answer is JSON:
`{"ok": true, ...}` or `{"ok": false, "error": "...", "errors": {field: message}}` with a 4xx status, and nothing
is changed when the answer is an error.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pstdesk.channels.base import InboundAttachment
from pstdesk.channels.web import chat, limits
from pstdesk.channels.web.actions import find_widget_session, open_widget_session, revoke_widget_session
from pstdesk.channels.web.models import WidgetSession
from pstdesk.channels.web.views import pick_language
from pstdesk.consultations.actions import refresh_visitor_requirements
from pstdesk.consultations.attachments import validate_attachment
from pstdesk.consultations.models import Consultation, Direction, Message, MessageKind
from pstdesk.guestbook.actions import (
    PRIVACY_NOTICE_VERSION,
    GuestbookError,
    give_consent,
    has_current_consent,
    identify_visitor,
    start_email_verification,
    verify_email,
)
from pstdesk.guestbook.forms import GuestbookForm
from pstdesk.guestbook.models import GuestbookEntry, Visitor
from pstdesk.lib.actors import ChannelActor, VisitorActor
from pstdesk.lib.errors import DomainError
from pstdesk.offices.calendar import CalendarNotConfigured, is_office_open, next_office_opening
from pstdesk.offices.models import Office
from pstdesk.offices.offering import LIVECHAT_CHANNELS, require_offered
from pstdesk.offices.presentation import zone_abbreviation
from pstdesk.ratings.actions import record_rating, submit_skm
from pstdesk.ratings.skm import ELEMENT_IDS

View = Callable[..., JsonResponse]


def error(message: str, status: int = 400, *, errors: dict[str, str] | None = None, code: str = "") -> JsonResponse:
    body: dict[str, Any] = {"ok": False, "error": message}
    if errors:
        body["errors"] = errors
    if code:
        body["code"] = code
    return JsonResponse(body, status=status)


def widget_api(*, session_required: bool) -> Callable[[View], View]:
    """POST only, CSRF-exempt (header token), the office looked up, the language applied, domain errors turned
    into 400/409 answers. With `session_required`, a missing or foreign token is 401."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @require_POST
        @wraps(view)
        def wrapper(request: HttpRequest, office_code: str, *args: Any, **kwargs: Any) -> JsonResponse:
            office = get_object_or_404(Office, code=office_code)
            require_offered(office, *LIVECHAT_CHANNELS)  # no LiveChat in the office's standard: 404
            lang = pick_language(request)
            with translation.override(lang):
                token = request.headers.get("X-Widget-Token", "")
                session = find_widget_session(token, office.code) if token else None
                if session_required and session is None:
                    return error(_("Sesi tidak berlaku. Isi buku tamu untuk memulai lagi."), 401, code="unauthorized")
                try:
                    return view(request, office, session, *args, lang=lang, **kwargs)
                except DomainError as exc:
                    errors = getattr(exc, "errors", None)
                    return error(exc.message, getattr(exc, "status_code", 400), errors=errors)

        return wrapper

    return decorate


def _data(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            value = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    data: dict[str, Any] = {}
    for key in request.POST:
        values = request.POST.getlist(key)
        data[key] = values if key == "disability_kinds" else values[-1]
    return data


def _when(office: Office, at: Any) -> str:
    local = timezone.localtime(at, ZoneInfo(office.timezone))
    return "{} {} {}".format(
        formats.date_format(local, "l, j F Y"),
        local.strftime("%H.%M"),
        zone_abbreviation(office.timezone),
    )


def office_hours(office: Office) -> dict[str, Any]:
    """Open now?, and when the office next opens (for the offline form)."""
    try:
        now = timezone.now()
        is_open = is_office_open(office, now)
        nxt = None if is_open else next_office_opening(office, now)
    except CalendarNotConfigured:
        return {"open": True, "next_opening": None, "next_opening_text": ""}
    return {
        "open": is_open,
        "next_opening": nxt.isoformat() if nxt else None,
        "next_opening_text": _when(office, nxt) if nxt else "",
    }


def _has_guestbook(visitor: Visitor, office: Office) -> bool:

    return GuestbookEntry.objects.filter(visitor=visitor, office=office).exists() and has_current_consent(visitor)


def session_state(office: Office, session: WidgetSession | None, channel: str) -> dict[str, Any]:
    """Which view the chat shows: "prechat" (guestbook and consent), "verify" (the e-mail code), or "chat"."""
    state: dict[str, Any] = {"ok": True, "office": {"code": office.code, "name": office.name}}
    state.update(office_hours(office))
    if session is None:
        state.update(step="prechat", visitor=None, consultation=None)
        return state
    visitor = session.visitor
    consultation = chat.current_consultation(session, channel)
    if not _has_guestbook(visitor, office):
        step = "prechat"
    elif visitor.email_verified_at is None:
        step = "verify"
    else:
        step = "chat"
    state.update(
        step=step,
        visitor={
            "name": visitor.name,
            "email": visitor.email,
            "email_verified": visitor.email_verified_at is not None,
            "whatsapp": visitor.whatsapp,
        },
        consultation=chat.consultation_state(consultation),
    )
    return state


def _refresh_requirements(session: WidgetSession) -> None:
    """The visitor gave something the standard requires: let the core re-check their waiting consultations."""
    refresh_visitor_requirements(session.visitor, session.office_id, by=chat.actor(session))


def _channel(request: HttpRequest, data: dict[str, Any] | None = None) -> str:
    value = (data or {}).get("channel") or request.headers.get("X-Widget-Channel") or ""
    return chat.check_channel(str(value))


# The largest primary key the database can hold (a bigint): a larger number names no consultation and must not
# reach the query (PostgreSQL would refuse it with an error, a 500).
_MAX_ID = 2**63 - 1


def _consultation(session: WidgetSession, data: dict[str, Any]) -> Consultation | JsonResponse:
    """The consultation named by `data["consultation"]`, of this session only; else the JSON error to answer: 400
    when the value is not a whole number (a visitor-supplied value must never become a 500), 404 when no such
    consultation is theirs."""
    raw = data.get("consultation")
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None:
        return error(
            _("Nomor konsultasi tidak valid."),
            errors={"consultation": _("Harus berupa bilangan bulat.")},
            code="invalid_consultation",
        )
    consultation = chat.consultation_of(session, value) if 0 < value <= _MAX_ID else None
    if consultation is None:
        return error(_("Konsultasi tidak ditemukan."), 404, code="not_found")
    return consultation


# --- endpoints -------------------------------------------------------------------------------------------------


@widget_api(session_required=False)
def state(request: HttpRequest, office: Office, session: WidgetSession | None, *, lang: str) -> JsonResponse:
    """Where the chat starts: the session's step, the office hours, the consultation's state."""
    return JsonResponse(session_state(office, session, _channel(request, _data(request))))


@widget_api(session_required=False)
def prechat(request: HttpRequest, office: Office, session: WidgetSession | None, *, lang: str) -> JsonResponse:
    """The guestbook and the consent (the guestbook's own form and actions). A new visitor gets a session and its
    token (shown once); a returning one (a valid token) fills it for their own identity."""

    channel = _channel(request, _data(request))
    ip = limits.client_ip(request.META)
    if session is None and not limits.hit("session_ip", ip):
        return error(_("Terlalu banyak percobaan. Coba lagi sebentar lagi."), 429, code="rate_limited")
    form = GuestbookForm(request.POST, visitor=session.visitor if session else None)
    token = ""
    with transaction.atomic():
        entry = form.save(session.visitor if session else None, office=office, channel=channel)
        if entry is None:
            transaction.set_rollback(True)
            errors = {field: " ".join(str(e) for e in messages) for field, messages in form.errors.items()}
            return error(_("Periksa isian yang ditandai."), errors=errors)
        if session is None:
            visitor = entry.visitor
            session, token = open_widget_session(office, visitor, by=VisitorActor(visitor.pk), ip=ip, language=lang)
    session.visitor.refresh_from_db()
    _refresh_requirements(session)
    body = session_state(office, session, channel)
    if token:
        body["token"] = token
    return JsonResponse(body)


@widget_api(session_required=True)
def verify_start(request: HttpRequest, office: Office, session: WidgetSession, *, lang: str) -> JsonResponse:
    """Send the e-mail verification code (to the address given, which becomes the visitor's)."""

    if not limits.hit("verify_visitor", session.pk):
        return error(_("Terlalu banyak percobaan. Coba lagi sebentar lagi."), 429, code="rate_limited")
    data = _data(request)
    email = str(data.get("email") or session.visitor.email or "")
    start_email_verification(
        session.visitor, email=email, by=chat.actor(session), ip=limits.client_ip(request.META), office=office
    )
    return JsonResponse({"ok": True, "email": email})


@widget_api(session_required=True)
def verify(request: HttpRequest, office: Office, session: WidgetSession, *, lang: str) -> JsonResponse:
    """Check the code; on success the chat opens (the identity may have been merged with an older one)."""

    if not limits.hit("verify_visitor", session.pk):
        return error(_("Terlalu banyak percobaan. Coba lagi sebentar lagi."), 429, code="rate_limited")
    data = _data(request)
    code = str(data.get("code") or "")
    verify_email(session.visitor, code=code, by=chat.actor(session), ip=limits.client_ip(request.META), office=office)
    session = find_widget_session(request.headers.get("X-Widget-Token", ""), office.code) or session
    _refresh_requirements(session)
    return JsonResponse(session_state(office, session, _channel(request, data)))


@widget_api(session_required=False)
def offline(request: HttpRequest, office: Office, session: WidgetSession | None, *, lang: str) -> JsonResponse:
    """Outside service hours: name, e-mail and the message. The consultation is created now (through
    `receive_message`); the visitor is told when the office next opens, and keeps a session to come back to."""

    data = _data(request)
    channel = _channel(request, data)
    ip = limits.client_ip(request.META)
    if not limits.hit("offline_ip", ip):
        return error(_("Terlalu banyak percobaan. Coba lagi sebentar lagi."), 429, code="rate_limited")
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    email = str(data.get("email") or "").strip()
    if not name and not (session and session.visitor.name):
        errors["name"] = _("Wajib diisi.")
    if not email and not (session and session.visitor.email):
        errors["email"] = _("Wajib diisi.")
    try:
        body = chat.check_body(data.get("message"))
    except chat.MessageRefused as exc:
        errors["message"] = exc.message
        body = ""
    if str(data.get("consent") or "").lower() not in {"1", "on", "true", "yes", "ya"}:
        errors["consent"] = _("Persetujuan pemberitahuan privasi diperlukan untuk melanjutkan.")
    if errors:
        return error(_("Periksa isian yang ditandai."), errors=errors)
    token = ""
    client_id = str(data.get("client_id") or uuid.uuid4())
    try:
        with transaction.atomic():
            if session is None:
                visitor = identify_visitor(name=name, email=email, by=ChannelActor(channel))
                session, token = open_widget_session(office, visitor, by=VisitorActor(visitor.pk), ip=ip, language=lang)
            give_consent(
                session.visitor, notice_version=PRIVACY_NOTICE_VERSION, channel=channel, by=chat.actor(session)
            )
            sent = chat.submit_message(session, channel=channel, client_id=client_id, body=body)
    except GuestbookError as exc:
        return error(_("Periksa isian yang ditandai."), errors=exc.errors)
    answer = session_state(office, session, channel)
    answer.update(consultation=chat.consultation_state(sent.consultation), seq=sent.message.seq)
    if token:
        answer["token"] = token
    return JsonResponse(answer)


@widget_api(session_required=True)
def upload(request: HttpRequest, office: Office, session: WidgetSession, *, lang: str) -> JsonResponse:
    """A file from the visitor (with an optional caption), keyed by its client id like a message. The core's
    validation decides size, type and content; a refused file is a 400 with its reason and nothing stored."""

    channel = _channel(request, _data(request))
    if not limits.hit("upload_visitor", session.pk) or not limits.hit("message_ip", limits.client_ip(request.META)):
        return error(_("Terlalu banyak pesan. Tunggu sebentar, lalu kirim lagi."), 429, code="rate_limited")
    upload_file = request.FILES.get("file")
    if upload_file is None:
        return error(_("Pilih berkas untuk dikirim."), errors={"file": _("Wajib diisi.")})
    valid = validate_attachment(upload_file)  # AttachmentRejected → 400 with the reason
    sent = chat.submit_message(
        session,
        channel=channel,
        client_id=request.POST.get("client_id"),
        body=request.POST.get("body", ""),
        attachments=[InboundAttachment(valid.filename, valid.content_type, valid.content)],
    )
    return JsonResponse(
        {"ok": True, "seq": sent.message.seq, "consultation": chat.consultation_state(sent.consultation)}
    )


@widget_api(session_required=True)
def rate(request: HttpRequest, office: Office, session: WidgetSession, *, lang: str) -> JsonResponse:
    """The visitor's rating of their consultation, at the step the office's standard puts it."""

    data = _data(request)
    channel = _channel(request, data)
    consultation = _consultation(session, data)
    if isinstance(consultation, JsonResponse):
        return consultation
    errors: dict[str, str] = {}
    try:
        score = int(data.get("score") or 0)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        errors["score"] = _("Pilih nilai 1 sampai 5.")
    answers: dict[str, bool] = {}
    for field in ("gratuity", "illegal_fee"):
        value = str(data.get(field) or "").lower()
        if value not in {"yes", "no"}:
            errors[field] = _("Jawab ya atau tidak.")
        answers[field] = value == "yes"
    feedback = str(data.get("feedback") or "").strip()
    if len(feedback) > settings.MESSAGE_MAX_CHARS:
        errors["feedback"] = _("Terlalu panjang.")
    if errors:
        return error(_("Periksa isian yang ditandai."), errors=errors)
    record_rating(
        consultation,
        score=score,
        feedback=feedback,
        gratuity=answers["gratuity"],
        illegal_fee=answers["illegal_fee"],
        channel=channel,
        by=chat.actor(session),
    )
    consultation.refresh_from_db()
    return JsonResponse({"ok": True, "consultation": chat.consultation_state(consultation)})


@widget_api(session_required=True)
def skm(request: HttpRequest, office: Office, session: WidgetSession, *, lang: str) -> JsonResponse:
    """The visitor's SKM questionnaire (after the rating, optional, once per consultation): `u1`…`u9` = 1..4, an
    element left out is unanswered. A second submission answers 409 and changes nothing."""

    data = _data(request)
    channel = _channel(request, data)
    consultation = chat.consultation_of(session, int(data.get("consultation") or 0))
    if consultation is None:
        return error(_("Konsultasi tidak ditemukan."), 404)
    submit_skm(
        consultation,
        by=chat.actor(session),
        answers={element: data.get(element) for element in ELEMENT_IDS if data.get(element) not in (None, "")},
        channel=channel,
    )
    consultation.refresh_from_db()
    return JsonResponse({"ok": True, "consultation": chat.consultation_state(consultation)})


def transcript_text(consultation: Consultation, *, office: Office) -> str:
    """The conversation as plain text, as the visitor saw it (never internal notes)."""
    zone = ZoneInfo(office.timezone)
    lines = [
        _("Transkrip konsultasi PST#%(id)s dengan %(office)s") % {"id": consultation.pk, "office": office.name},
        "",
    ]
    rows = (
        Message.objects.filter(consultation=consultation)
        .exclude(kind=MessageKind.NOTE)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("seq")
    )
    for message in rows:
        who = _("Anda") if message.direction == Direction.IN else _("Petugas PST")
        when = timezone.localtime(message.created_at, zone).strftime("%d-%m-%Y %H.%M")
        lines.append(f"[{when}] {who}:")
        if message.body:
            lines.append(message.body)
        for attachment in message.attachments.all():
            lines.append(_("(lampiran: %(name)s)") % {"name": attachment.filename})
        lines.append("")
    return "\n".join(lines)


@widget_api(session_required=True)
def transcript(request: HttpRequest, office: Office, session: WidgetSession, *, lang: str) -> JsonResponse:
    """Send the transcript of the visitor's consultation to their verified e-mail address."""
    data = _data(request)
    consultation = _consultation(session, data)
    if isinstance(consultation, JsonResponse):
        return consultation
    visitor = session.visitor
    if not visitor.email or visitor.email_verified_at is None:
        return error(_("Alamat e-mail Anda belum terverifikasi."), 409)
    if not limits.hit("transcript_visitor", session.pk):
        return error(_("Transkrip baru saja dikirim. Coba lagi sebentar lagi."), 429, code="rate_limited")
    subject = _("Transkrip konsultasi PST#%(id)s") % {"id": consultation.pk}
    try:
        send_mail(subject, transcript_text(consultation, office=office), None, [visitor.email])
    except Exception:  # SMTP refusals come in many types: one clear answer, nothing else changes
        return error(_("Transkrip tidak dapat dikirim sekarang. Coba lagi nanti."), 503)
    return JsonResponse({"ok": True, "email": visitor.email})


@widget_api(session_required=True)
def forget(request: HttpRequest, office: Office, session: WidgetSession, *, lang: str) -> JsonResponse:
    """ "Not you?": revoke this browser's session; the chat starts again at the guestbook."""
    revoke_widget_session(session, by=chat.actor(session))
    return JsonResponse({"ok": True})
