"""The officer console's pages and the small JSON endpoints its script calls.

One page in three panes: the list, the open conversation, the visitor/consultation side panel. `/console/` opens
it with no conversation, `/console/<id>/` with that one; the script switches conversations by fetching
`/console/<id>/pane/` (the conversation and side panel as an HTML fragment) and `history.pushState`, without
reloading. JSON: the rows of a queue, a consultation's state, the search, and one POST endpoint per console verb,
each calling one action (views never write fields). Missing and forbidden consultations both answer 404; a refused
action answers its `DomainError` message with the error's status code and changes nothing. GETs never write:
the officer's read cursor moves by the `read` POST the script sends when the conversation is on screen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_POST

from pstdesk.accounts.access import acting_user, visible_offices
from pstdesk.accounts.models import Role, User
from pstdesk.channels import base as channel_base
from pstdesk.consultations import actions, transitions
from pstdesk.consultations.access import get_consultation_for
from pstdesk.consultations.console import actions as console_actions
from pstdesk.consultations.console import queries, search
from pstdesk.consultations.models import CannedReply, Consultation, SendKey, Status, Topic
from pstdesk.consultations.serializers import message_dict, messages_queryset
from pstdesk.lib.errors import DomainError, InvalidInput
from pstdesk.offices.models import Channel, Office
from pstdesk.supervision.actions import deadline_text, staffing_below_minimum, staffing_message
from pstdesk.supervision.queues import deadline_warnings as warnings_of


def _staff_offices(user: Any) -> list[Office]:
    """The offices the user works for; 403 for accounts without any (a visitor never has an account)."""
    offices = list(visible_offices(user))
    if not offices:
        raise PermissionDenied(_("Akun ini tidak terdaftar sebagai petugas kantor mana pun."))
    return offices


def staffing_warnings(offices: list[Office]) -> list[dict[str, Any]]:
    """The banner texts: offices with fewer officers on duty than their minimum (or nobody on duty). Three
    queries however many offices the user sees (`supervision.actions.staffing_below_minimum`)."""

    return [
        _jsonable_warning(office, staffing_message(office, count, minimum, stated_by_standard=stated))
        for office, count, minimum, stated in staffing_below_minimum(offices)
    ]


def deadline_warnings(user: Any) -> list[dict[str, Any]]:
    """The officer's consultations due within one working day or two working hours (the console's banner; the
    periodic `supervision.tasks.warn_officers_of_deadlines` pushes the same warnings live)."""

    return [
        {
            "consultation": w.consultation.pk,
            "level": w.level,
            "message": deadline_text(w.consultation, w.level),
        }
        for w in warnings_of(user)
    ]


def _jsonable_warning(office: Office, warning: Any) -> dict[str, Any]:
    if isinstance(warning, dict):
        data = {k: v for k, v in warning.items() if isinstance(v, str | int | float | bool) or v is None}
    else:
        data = {"message": str(warning)}
    data.setdefault("office", office.code)
    if not data.get("message"):
        data["message"] = _(
            "Petugas yang bertugas di %(office)s kurang dari minimum standar pelayanan (%(minimum)s)."
        ) % {"office": office.name, "minimum": data.get("minimum", 2)}
    return data


def _texts() -> dict[str, str]:
    """The words the script shows, translated here (the script has no catalogue of its own)."""
    return {
        "online": _("Terhubung"),
        "offline": _("Terputus — menyambung ulang…"),
        "connecting": _("Menghubungkan…"),
        "onDuty": _("Sedang bertugas"),
        "offDuty": _("Tidak bertugas"),
        "typingVisitor": _("Pengguna layanan sedang mengetik…"),
        "typingStaff": _("%(name)s sedang mengetik…"),
        "dueIn": _("sisa %(time)s"),
        "overdue": _("lewat %(time)s"),
        "noDue": _("belum berjalan"),
        "windowOpen": _("teks bebas boleh, sisa %(time)s"),
        "windowClosed": _("tertutup: hanya templat"),
        "unassigned": _("belum ditugaskan"),
        "note": _("Catatan internal"),
        "visitor": _("Pengguna layanan"),
        "automatic": _("otomatis"),
        "failed": _("Gagal terkirim"),
        "error": _("Permintaan gagal. Coba lagi."),
        "days": _("h"),
        "hours": _("j"),
        "minutes": _("m"),
        "rated": _("Sudah dinilai"),
        "ratingRequested": _("Diminta, belum dinilai"),
        "pending": _("Menunggu"),
        "sent": _("Terkirim"),
        "delivered": pgettext("message delivery", "Diterima"),
        "read": _("Dibaca"),
        "title": _("Konsol petugas"),
        "waiting": _("menunggu %(time)s"),
        "newConsultation": _("Konsultasi baru: %(name)s"),
        "newMessage": _("Pesan baru dari %(name)s"),
        "noResults": _("Tidak ada hasil dalam kantor Anda."),
        "searching": _("Mencari…"),
        "remove": _("Hapus"),
        "loading": _("Memuat…"),
        "confirmClose": _("Tutup konsultasi PST#%(id)s? Pengguna layanan tidak dapat lagi membalas di sini."),
        "confirmReopen": _("Buka kembali PST#%(id)s? Jam SLA baru dimulai sekarang."),
        "muted": _("Suara mati"),
        "unmuted": _("Suara hidup"),
        "notifyOn": _("Notifikasi desktop aktif"),
        "notifyAsk": _("Aktifkan notifikasi desktop"),
        "notifyDenied": _("Notifikasi diblokir peramban"),
        "kindVisitor": _("pengguna layanan"),
        "kindNumber": _("nomor PST"),
        "kindMessage": _("pesan"),
        "kindNote": _("catatan"),
        "noCanned": _("Tidak ada balasan siap pakai yang cocok."),
        "unreadCount": _("%(n)s belum dibaca"),
    }


def _officer(request: HttpRequest) -> User:
    """The logged-in staff member (every view here is behind `login_required`)."""
    return cast(User, request.user)


def _page_config(request: HttpRequest, offices: list[Office], **extra: Any) -> dict[str, Any]:
    user = _officer(request)
    prefs = console_actions.preferences_of(user)
    return {
        "prefs": {"muted": prefs.muted, "sendKey": prefs.send_key},
        "prefsUrl": "/console/preferences/",
        "searchUrl": "/console/search/",
        "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()},
        "onDuty": bool(getattr(user, "on_duty", False)),
        "offices": [{"code": o.code, "name": o.name} for o in offices],
        "staffing": staffing_warnings(offices),
        "deadlines": deadline_warnings(user),
        "wsPath": "/ws/console/",
        "dutyUrl": "/console/duty/",
        "text": _texts(),
        **extra,
    }


QUEUE_LABELS = [
    ("unassigned", gettext_lazy("Belum ditugaskan")),
    ("mine", gettext_lazy("Milik saya")),
    ("office", gettext_lazy("Kantor saya")),
]
ORDER_LABELS = [
    ("urgency", gettext_lazy("Paling mendesak")),
    ("newest", gettext_lazy("Terbaru")),
    ("oldest", gettext_lazy("Terlama")),
    ("activity", gettext_lazy("Aktivitas terakhir")),
]


def _console_page(request: HttpRequest, consultation: Consultation | None) -> HttpResponse:
    """The three-pane console, with `consultation` open (or none)."""
    offices = _staff_offices(request.user)
    filters = queries.Filters.from_query(request.GET)
    pane = _pane_context(request, consultation) if consultation is not None else {}
    config = _page_config(
        request,
        offices,
        page="console",
        filters=filters.as_dict(),
        rows=queries.inbox_rows(request.user, filters),
        counts=queries.queue_counts(request.user),
        rowsUrl="/console/rows/",
        open=consultation.pk if consultation is not None else None,
    )
    context = {
        "config": config,
        "filters": filters,
        "queues": QUEUE_LABELS,
        "orders": ORDER_LABELS,
        "send_keys": SendKey.choices,
        "channels": Channel.choices,
        "statuses": Status.choices,
        "topics": Topic.choices,
        "offices": offices,
        **pane,
    }
    return render(request, "consultations/console/console.html", context)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The console with no conversation open; the script keeps the list live."""
    return _console_page(request, None)


@login_required
@require_GET
def inbox_rows(request: HttpRequest) -> JsonResponse:
    _staff_offices(request.user)
    filters = queries.Filters.from_query(request.GET)
    return JsonResponse(
        {
            "filters": filters.as_dict(),
            "rows": queries.inbox_rows(request.user, filters),
            "counts": queries.queue_counts(request.user),
        }
    )


def _load(user: Any, pk: int) -> Consultation:
    return get_consultation_for(user, pk)


def _pane_context(request: HttpRequest, consultation: Consultation) -> dict[str, Any]:
    """What the conversation pane and the side panel show of one consultation (a constant number of queries
    whatever its number of messages or the office's number of consultations)."""
    messages = [
        message_dict(m, for_staff=True) for m in messages_queryset().filter(consultation=consultation).order_by("seq")
    ]
    entry = queries.latest_guestbook(consultation)
    colleagues = (
        User.objects.filter(is_active=True, office_id=consultation.office_id)
        .filter(Q(role=Role.OFFICER) | Q(role=Role.SUPERVISOR))
        .exclude(pk=_officer(request).pk)
        .order_by("username")
    )
    canned = list(CannedReply.objects.filter(office_id=consultation.office_id).order_by("title"))
    canned_texts = [
        {"id": r.pk, "title": r.title, "body": actions.render_canned_reply(r, consultation, officer=request.user)}
        for r in canned
    ]
    state = queries.state_dict(consultation)
    pane_config = {
        "consultation": consultation.pk,
        "state": state,
        "messages": messages,
        "canned": canned_texts,
        "actionUrl": f"/console/{consultation.pk}/",
    }
    return {
        "pane_config": pane_config,
        "consultation": consultation,
        "state": state,
        "visitor": consultation.visitor,
        "guestbook": entry,
        "guestbook_rows": queries.guestbook_rows(entry),
        "requirements": queries.requirement_status(consultation),
        "earlier": queries.earlier_consultations(request.user, consultation),
        "colleagues": colleagues,
        "canned": canned_texts,
        "templates": _channel_templates(consultation),
        "topics": Topic.choices,
        # Channels with a reply window (WhatsApp's 24 hours) show it; asked of the channel, not by its name.
        "has_reply_window": channel_base.capability(consultation.channel, "reply_window_closes_at") is not None,
    }


@login_required
@require_GET
def consultation_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The console with this consultation open (the old per-consultation address keeps working)."""
    _staff_offices(request.user)
    return _console_page(request, _load(request.user, pk))


@login_required
@require_GET
def consultation_pane(request: HttpRequest, pk: int) -> HttpResponse:
    """The conversation and side panel of one consultation, as the fragment the script swaps in."""
    _staff_offices(request.user)
    context = _pane_context(request, _load(request.user, pk))
    return render(request, "consultations/console/consultation.html", context)


@login_required
@require_GET
def search_view(request: HttpRequest) -> JsonResponse:
    """Full-text search within the officer's offices: `?q=` → {"results": [...]} (at most 50)."""
    _staff_offices(request.user)
    query = str(request.GET.get("q", ""))[:200]
    return JsonResponse({"query": query, "results": [h.as_dict() for h in search.search(request.user, query)]})


@login_required
@require_POST
def set_preferences(request: HttpRequest) -> JsonResponse:
    """The officer's own console preferences: `muted` (0/1) and `send_key` (enter / ctrl_enter)."""
    _staff_offices(request.user)
    user = _officer(request)
    muted_raw = request.POST.get("muted")
    if muted_raw is not None and muted_raw not in {"0", "1", "true", "false"}:
        return _error(_("Nilai 'bisukan' harus ya atau tidak."), 400)
    muted = None if muted_raw is None else muted_raw in {"1", "true"}
    send_key = request.POST.get("send_key")
    try:
        prefs = console_actions.set_console_preferences(user, by=user, muted=muted, send_key=send_key)
    except DomainError as exc:
        return _error(exc.message, exc.status_code)
    return JsonResponse({"prefs": {"muted": prefs.muted, "sendKey": prefs.send_key}})


def _channel_templates(consultation: Consultation) -> list[Any]:
    """The templates of channels that have them (WhatsApp's approved templates), else none."""
    approved_templates = channel_base.capability(consultation.channel, "approved_templates")
    return approved_templates(consultation) if approved_templates is not None else []


@login_required
@require_GET
def consultation_state(request: HttpRequest, pk: int) -> JsonResponse:
    _staff_offices(request.user)
    return JsonResponse({"state": queries.state_dict(_load(request.user, pk))})


# --- the verbs -------------------------------------------------------------------------------------------------

Result = dict[str, Any]


def _text(request: HttpRequest, name: str) -> str:
    return str(request.POST.get(name, ""))


def _check_topic(c: Consultation) -> None:
    """The console marks a consultation answered only once its topic is recorded (the monthly report counts
    answered consultations by topic)."""
    if not c.topic:
        raise InvalidInput(_("Pilih topik konsultasi sebelum menandainya terjawab."))


def _reply(request: HttpRequest, c: Consultation) -> Result:
    answer = request.POST.get("answer") in {"1", "true", "on"}
    if answer:
        transitions.check_transition(c, "answer")  # the console's own rule below is checked after the table's
        _check_topic(c)
    message = actions.post_reply(
        c,
        by=acting_user(request),
        body=_text(request, "body"),
        attachments=request.FILES.getlist("files"),
        answer=answer,
    )
    return {"message": message_dict(message, for_staff=True)}


def _note(request: HttpRequest, c: Consultation) -> Result:
    message = actions.add_note(c, by=acting_user(request), body=_text(request, "body"))
    return {"message": message_dict(message, for_staff=True)}


def _topic(request: HttpRequest, c: Consultation) -> Result:
    actions.set_topic(c, by=acting_user(request), topic=_text(request, "topic"), subject=_text(request, "subject"))
    return {}


def _transfer(request: HttpRequest, c: Consultation) -> Result:
    try:
        target_id = int(_text(request, "to"))
    except ValueError:
        raise InvalidInput(_("Pilih petugas tujuan pengalihan.")) from None
    # Only a colleague of the consultation's office; anyone else answers like a missing account.
    target = User.objects.filter(pk=target_id, is_active=True, office_id=c.office_id).first()
    if target is None:
        raise InvalidInput(_("Petugas tujuan tidak ditemukan di kantor ini."))
    actions.transfer_consultation(c, by=acting_user(request), to=target)
    return {}


def _simple(fn: Callable[..., Any], **kwargs: Any) -> Callable[[HttpRequest, Consultation], Result]:
    def run(request: HttpRequest, c: Consultation) -> Result:
        fn(c, by=acting_user(request), **kwargs)
        return {}

    return run


def _answer(request: HttpRequest, c: Consultation) -> Result:
    _check_topic(c)
    actions.mark_answered(c, by=acting_user(request))
    return {}


def _read(request: HttpRequest, c: Consultation) -> Result:
    """The conversation is on the officer's screen up to `up_to`: the office's read receipts for the visitor and
    the officer's own read cursor (their unread count)."""
    try:
        up_to = int(_text(request, "up_to"))
    except ValueError:
        raise InvalidInput(_("Nomor urut pesan tidak valid.")) from None
    actions.mark_read_by_office(c, up_to_seq=up_to, by=acting_user(request))
    return {"seen": console_actions.mark_seen(c, by=acting_user(request), up_to_seq=up_to)}


def _template(request: HttpRequest, c: Consultation) -> Result:
    send_template = channel_base.capability(c.channel, "send_template")
    if send_template is None:
        raise InvalidInput(_("Templat WhatsApp hanya untuk konsultasi melalui WhatsApp."))
    name, _sep, language = _text(request, "template").partition("|")
    params = [line.strip() for line in _text(request, "params").splitlines() if line.strip()]
    message = send_template(c, by=acting_user(request), name=name, language=language, params=params)
    return {"message": message_dict(message, for_staff=True)}


def _clarify(request: HttpRequest, c: Consultation) -> Result:
    message = actions.ask_clarification(c, by=acting_user(request), body=_text(request, "body"))
    return {"message": message_dict(message, for_staff=True)}


def _close(request: HttpRequest, c: Consultation) -> Result:
    without = request.POST.get("without_rating") in {"1", "true", "on"}
    actions.close_consultation(c, by=acting_user(request), without_rating=without)
    return {}


def _accept_introduction(request: HttpRequest, c: Consultation) -> Result:
    # The officer judges the visitor introduced themself (Jembrana's e-mail procedure, step 1): audited.
    actions.accept_introduction(c, by=acting_user(request))
    return {}


VERBS: dict[str, Callable[[HttpRequest, Consultation], Result]] = {
    "reply": _reply,
    "note": _note,
    "topic": _topic,
    "transfer": _transfer,
    "close": _close,
    "claim": _simple(actions.claim_consultation),
    "clear": _simple(actions.mark_request_clear),
    "clarify": _clarify,
    "answer": _answer,
    "reopen": _simple(actions.reopen_consultation),
    "request-rating": _simple(actions.request_rating),
    "read": _read,
    "template": _template,
    "accept-introduction": _accept_introduction,
}


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@login_required
@require_POST
def consultation_verb(request: HttpRequest, pk: int, verb: str) -> JsonResponse:
    """One console verb on one consultation. JSON: {"state": ..., "message": ...} or {"error": "..."}."""
    handler = VERBS.get(verb)
    if handler is None:
        raise Http404("Unknown console action")
    _staff_offices(request.user)
    consultation = _load(request.user, pk)
    if getattr(request.user, "role", None) == Role.INSPECTORATE:  # read-only oversight never acts
        return _error(_("Akun inspektorat hanya dapat melihat, tidak dapat bertindak."), 403)
    try:
        result = handler(request, consultation)
    except DomainError as exc:
        return _error(exc.message, exc.status_code)
    consultation = _load(request.user, pk)  # re-read: the action may have changed status or assignment
    return JsonResponse({"state": queries.state_dict(consultation), **result})


@login_required
@require_POST
def set_duty(request: HttpRequest) -> JsonResponse:
    """The officer's own "on duty" switch in the console header."""
    offices = _staff_offices(request.user)
    raw = request.POST.get("on_duty")
    if raw is None and request.content_type == "application/json":
        try:
            raw = json.loads(request.body or b"{}").get("on_duty")
        except (ValueError, AttributeError):
            raw = None
    if raw not in {True, False, "1", "0", "true", "false"}:
        return _error(_("Nilai 'sedang bertugas' harus ya atau tidak."), 400)
    on_duty = raw in {True, "1", "true"}
    user = _officer(request)
    if user.role == Role.INSPECTORATE:
        return _error(_("Akun inspektorat hanya dapat melihat, tidak dapat bertindak."), 403)
    try:
        actions.set_on_duty(user, on_duty=on_duty, by=user)
    except DomainError as exc:
        return _error(exc.message, exc.status_code)
    user.refresh_from_db(fields=["on_duty"])
    return JsonResponse({"on_duty": user.on_duty, "staffing": staffing_warnings(offices)})
