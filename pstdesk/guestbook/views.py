"""Public pages of the guestbook, and its JSON endpoints for the LiveChat widget.

Pages (Indonesian by default, `?lang=en` for English, kept in the session):
- `GET/POST /bukutamu/<office>/?t=<signed token>` — the web guestbook. The token (`lib.signing.guestbook_url`,
  sent by the channels) names the visitor; without one, the browser session's visitor is used, or a new visitor
  is created on save. A link never merges identities by itself: opened in a browser whose session holds another
  visitor it leads to `GET/POST /bukutamu/<office>/tautan/`, which shows both identities (name, masked contacts)
  and asks "continue as …?"; only a POST there switches to the link's visitor, merges the two (reason
  "signed_link", audited) or keeps the browser's one. POST saves through `fill_guestbook` + `give_consent`, then
  goes to verification.
- `GET/POST /bukutamu/<office>/verifikasi/` — send an 8-digit code to the e-mail, then enter it (limits:
  `guestbook.throttle`).
- `GET /privasi/` — the privacy notice (UU 27/2022), both languages, version `PRIVACY_NOTICE_VERSION`.

JSON for the widget (no cookies, no CSRF: the visitor is named by a signed token, never by a cookie):
- `GET /bukutamu/api/<office>/` → `{"notice_version", "privacy_url", "code_lists": {name: {"version",
  "items": [{"code", "label": {"id", "en"}, "requires_text"}]}}}`.
- `POST /bukutamu/api/<office>/` with a JSON object: the guestbook fields (as `GuestbookForm`: name, email,
  whatsapp, sex, age_group, education, occupation[_other], institution_category[_other], institution_name,
  purpose[_other], disability (bool), disability_kinds (list of codes)), `"consent": true`, and optionally
  `"visitor_token"` (from an earlier answer) or `"t"` (a guestbook link token). → 201 `{"visitor": public id,
  "visitor_token", "entry": id, "email_verified": bool}`; 400 `{"errors": {field: message}}`.
- `POST /bukutamu/api/<office>/verifikasi/` with `{"visitor_token", "action": "send", "email"}` or
  `{"visitor_token", "action": "verify", "code"}` → 200 `{"visitor", "visitor_token", "email_verified"}` (the
  token may name another visitor after a merge); 400 `{"errors": {...}}`; 404 for a bad token.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from pstdesk.guestbook import actions, throttle
from pstdesk.guestbook.forms import GuestbookForm, VerificationCodeForm, code_choices
from pstdesk.guestbook.models import Visitor, VisitorMerge
from pstdesk.guestbook.requirements import requirements_given
from pstdesk.lib import proxies, signing
from pstdesk.offices.models import Office

log = logging.getLogger(__name__)

SESSION_VISITOR = "guestbook_visitor"
SESSION_LANGUAGE = "guestbook_language"
SESSION_CONSULTATION = "guestbook_consultation"
# A guestbook link opened in a browser whose session holds another visitor, waiting for the person's choice.
SESSION_PENDING_LINK = "guestbook_pending_link"
WEB_CHANNEL = "web"


# --- helpers -------------------------------------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client address behind the trusted proxies (`lib.proxies`, as every rate limit reads it)."""
    return proxies.client_ip(request.META)


def _language(request: HttpRequest) -> str:
    requested = request.GET.get("lang") or request.POST.get("lang")
    if requested in {"id", "en"}:
        request.session[SESSION_LANGUAGE] = requested
        return requested
    return str(request.session.get(SESSION_LANGUAGE, "id"))


def _visitor_by_public_id(public_id: str | None) -> Visitor | None:
    if not public_id:
        return None
    visitor = Visitor.objects.filter(public_id=public_id).first()
    if visitor is None:
        return None
    visitor = visitor.resolve()
    return None if visitor.erased_at else visitor


def session_visitor(request: HttpRequest) -> Visitor | None:
    return _visitor_by_public_id(request.session.get(SESSION_VISITOR))


def remember_visitor(request: HttpRequest, visitor: Visitor) -> None:
    if request.session.get(SESSION_VISITOR) != str(visitor.public_id):
        request.session.cycle_key()  # a new identity in this browser: no session fixation
    request.session[SESSION_VISITOR] = str(visitor.public_id)


def read_signed_link(token: str, office: Office) -> tuple[signing.GuestbookLink, Visitor]:
    """The link and the visitor a guestbook link token names. Http404 for a forged, expired or other office's
    token, or a visitor that no longer exists."""
    try:
        link = signing.read_guestbook_token(token)
    except signing.BadToken:
        raise Http404("invalid link") from None
    if link.office_code != office.code:
        raise Http404("invalid link")
    visitor = _visitor_by_public_id(link.visitor_public_id)
    if visitor is None:
        raise Http404("invalid link")
    return link, visitor


def _use_link(request: HttpRequest, link: signing.GuestbookLink, visitor: Visitor) -> None:
    remember_visitor(request, visitor)
    if link.consultation_id:
        request.session[SESSION_CONSULTATION] = link.consultation_id


def open_signed_link(request: HttpRequest, token: str, office: Office) -> Visitor | None:
    """A guestbook link opened with GET. It never merges anything: in a browser without a visitor (or with the
    link's own) the link's visitor is used; in a browser whose session holds another visitor the link waits in
    the session and None is returned: the person is asked who they are (`link_choice`), and only a POST there
    switches or merges the identities. Http404 for a bad token."""
    link, visitor = read_signed_link(token, office)
    current = session_visitor(request)
    if current is None or current.pk == visitor.pk:
        request.session.pop(SESSION_PENDING_LINK, None)
        _use_link(request, link, visitor)
        return visitor
    request.session[SESSION_PENDING_LINK] = token
    return None


def mask_email(address: str) -> str:
    local, _sep, domain = (address or "").rpartition("@")
    if not local:
        return ""
    return f"{local[0]}•••@{domain}"


def mask_phone(number: str) -> str:
    if len(number or "") < 7:
        return "•••" if number else ""
    return f"{number[:5]}•••{number[-3:]}"


def describe_visitor(visitor: Visitor) -> dict[str, str]:
    """What the person is shown to recognise an identity: the name and masked contacts (enough to tell two
    identities apart, not enough to learn an address from a link)."""
    return {
        "name": visitor.name or _("(tanpa nama)"),
        "email": mask_email(visitor.email),
        "whatsapp": mask_phone(visitor.whatsapp),
    }


def refresh_consultations(visitor: Visitor, office: Office) -> None:
    """Tell the visitor's consultations at this office that requirements may now be complete (the consultation
    core's `refresh_visitor_requirements`, registered as a listener)."""
    requirements_given(visitor, office, by=actions.visitor_actor(visitor))


def _page_context(request: HttpRequest, office: Office, language: str, **extra: Any) -> dict[str, Any]:
    other = "en" if language == "id" else "id"
    return {
        "office": office,
        "language": language,
        "other_language": other,
        "switch_url": f"{request.path}?lang={other}",
        "notice_version": actions.PRIVACY_NOTICE_VERSION,
        "privacy_url": reverse("guestbook:privacy") + f"?lang={language}&kantor={office.code}",
        **extra,
    }


# --- pages ---------------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def guestbook_form(request: HttpRequest, office_code: str) -> HttpResponse:
    office = get_object_or_404(Office, code=office_code)
    language = _language(request)
    with translation.override(language):
        token = request.GET.get("t") or ""
        if token:
            # Drop the token from the address bar either way: the session now knows the visitor, or holds the
            # link until the person says who they are.
            if open_signed_link(request, token, office) is None:
                return redirect(reverse("guestbook:link", kwargs={"office_code": office.code}) + f"?lang={language}")
            return redirect(f"{request.path}?lang={language}")
        visitor: Visitor | None
        visitor = session_visitor(request)
        if request.method == "POST" and visitor is None and throttle.allow_new_visitor(client_ip(request)):
            form = GuestbookForm(visitor=visitor)
            context = _page_context(
                request,
                office,
                language,
                form=form,
                visitor=visitor,
                limited=_("Terlalu banyak percobaan. Coba lagi sebentar lagi."),
            )
            return render(request, "guestbook/form.html", context, status=429)
        if request.method == "POST":
            form = GuestbookForm(request.POST, visitor=visitor)
            entry = form.save(visitor, office=office, channel=WEB_CHANNEL)
            if entry is not None:
                remember_visitor(request, entry.visitor)
                refresh_consultations(entry.visitor, office)
                return redirect(reverse("guestbook:verify", kwargs={"office_code": office.code}) + f"?lang={language}")
            status = 400
        else:
            form = GuestbookForm(visitor=visitor)
            status = 200
        context = _page_context(request, office, language, form=form, visitor=visitor)
        return render(request, "guestbook/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def link_choice(request: HttpRequest, office_code: str) -> HttpResponse:
    """ "Continue as …?": a guestbook link opened in a browser whose session holds another visitor. The page shows
    both identities; a POST (CSRF-checked) decides: "switch" uses the link's visitor (nothing is merged), "merge"
    joins the browser's visitor into the link's one (both are proven: the session and the link; audited as
    "visitor.merged" with reason signed_link), "stay" keeps the browser's visitor and forgets the link."""
    office = get_object_or_404(Office, code=office_code)
    language = _language(request)
    form_url = reverse("guestbook:form", kwargs={"office_code": office.code}) + f"?lang={language}"
    with translation.override(language):
        token = request.session.get(SESSION_PENDING_LINK) or ""
        current = session_visitor(request)
        if not token or current is None:
            request.session.pop(SESSION_PENDING_LINK, None)
            return redirect(form_url)
        try:
            link, linked = read_signed_link(token, office)
        except Http404:
            request.session.pop(SESSION_PENDING_LINK, None)
            raise
        if linked.pk == current.pk:
            request.session.pop(SESSION_PENDING_LINK, None)
            _use_link(request, link, linked)
            return redirect(form_url)
        errors: dict[str, str] = {}
        if request.method == "POST":
            choice = request.POST.get("choice")
            if choice in {"switch", "merge", "stay"}:
                request.session.pop(SESSION_PENDING_LINK, None)
                if choice == "stay":
                    return redirect(form_url)
                if choice == "merge":
                    try:
                        linked = actions.merge_visitors(
                            current, linked, reason=VisitorMerge.Reason.SIGNED_LINK, by=actions.visitor_actor(current)
                        )
                    except actions.GuestbookError as exc:
                        request.session[SESSION_PENDING_LINK] = token
                        errors = exc.errors
                if not errors:
                    _use_link(request, link, linked)
                    return redirect(form_url)
            else:
                errors = {"choice": _("Pilih salah satu.")}
        context = _page_context(
            request,
            office,
            language,
            current=describe_visitor(current),
            linked=describe_visitor(linked),
            errors=errors,
        )
        return render(request, "guestbook/link_choice.html", context, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, office_code: str) -> HttpResponse:
    office = get_object_or_404(Office, code=office_code)
    language = _language(request)
    with translation.override(language):
        visitor = session_visitor(request)
        if visitor is None:
            return redirect(reverse("guestbook:form", kwargs={"office_code": office.code}) + f"?lang={language}")
        form = VerificationCodeForm()
        errors: dict[str, str] = {}
        notice = ""
        status = 200
        if request.method == "POST":
            try:
                if request.POST.get("action") == "send":
                    actions.start_email_verification(
                        visitor,
                        email=request.POST.get("email") or visitor.email,
                        by=actions.visitor_actor(visitor),
                        ip=client_ip(request),
                        office=office,
                    )
                    notice = "sent"
                else:
                    form = VerificationCodeForm(request.POST)
                    if form.is_valid():
                        visitor = actions.verify_email(
                            visitor,
                            code=form.cleaned_data["code"],
                            by=actions.visitor_actor(visitor),
                            ip=client_ip(request),
                            office=office,
                        )
                        remember_visitor(request, visitor)
                        refresh_consultations(visitor, office)
                        notice = "verified"
                    else:
                        status = 400
            except actions.GuestbookError as exc:
                errors = exc.errors
                status = exc.status_code
            visitor.refresh_from_db()
        context = _page_context(
            request,
            office,
            language,
            visitor=visitor,
            form=form,
            errors=errors,
            notice=notice,
            pending=visitor.verifications.filter(verified_at__isnull=True, closed_at__isnull=True).exists(),
        )
        return render(request, "guestbook/verify.html", context, status=status)


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice. Its retention period is the office's (`Office.retention_months`, what `pstdesk
    retention` applies) when the notice is opened from an office's pages (`?kantor=<code>`), else the longest of
    all offices, so "at most N months" is true wherever the visitor consulted."""
    language = _language(request)
    code = request.GET.get("kantor", "")
    office = Office.objects.filter(code=code).only("retention_months").first() if code.isdigit() else None
    if office is not None:
        retention_months = office.retention_months
    else:
        longest = Office.objects.aggregate(longest=Max("retention_months"))["longest"]
        retention_months = longest or PRIVACY_RETENTION_MONTHS
    with translation.override(language):
        return render(
            request,
            "guestbook/privacy.html",
            {
                "language": language,
                "other_language": "en" if language == "id" else "id",
                "switch_url": "?lang=" + ("en" if language == "id" else "id"),
                "notice_version": actions.PRIVACY_NOTICE_VERSION,
                "retention_months": retention_months,
            },
        )


PRIVACY_RETENTION_MONTHS = 24  # with no office at all


# --- JSON for the widget ---------------------------------------------------------------------------------------------


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise actions.GuestbookError({"__all__": "JSON tidak valid / invalid JSON."}) from None
    if not isinstance(data, dict):
        raise actions.GuestbookError({"__all__": "JSON harus berupa objek / JSON must be an object."})
    return data


def _token_visitor(data: dict[str, Any], request: HttpRequest, office: Office) -> Visitor | None:
    token = str(data.get("visitor_token") or request.headers.get("X-Visitor-Token") or "")
    if token:
        try:
            public_id = signing.read_visitor_token(token)
        except signing.BadToken:
            raise Http404("invalid token") from None
        visitor = _visitor_by_public_id(public_id)
        if visitor is None:
            raise Http404("invalid token")
        return visitor
    link = str(data.get("t") or "")
    if link:
        try:
            parsed = signing.read_guestbook_token(link)
        except signing.BadToken:
            raise Http404("invalid token") from None
        visitor = _visitor_by_public_id(parsed.visitor_public_id) if parsed.office_code == office.code else None
        if visitor is None:
            raise Http404("invalid token")
        return visitor
    return None


def _visitor_json(visitor: Visitor, **extra: Any) -> dict[str, Any]:
    return {
        "visitor": str(visitor.public_id),
        "visitor_token": signing.visitor_token(visitor),
        "email_verified": visitor.email_verified,
        **extra,
    }


@csrf_exempt
@require_http_methods(["GET", "POST"])
def api_guestbook(request: HttpRequest, office_code: str) -> JsonResponse:
    office = get_object_or_404(Office, code=office_code)
    language = request.GET.get("lang") if request.GET.get("lang") in {"id", "en"} else "id"
    with translation.override(language):
        if request.method == "GET":
            lists = actions.current_code_lists()
            return JsonResponse(
                {
                    "notice_version": actions.PRIVACY_NOTICE_VERSION,
                    "privacy_url": request.build_absolute_uri(reverse("guestbook:privacy") + f"?kantor={office.code}"),
                    "code_lists": {
                        name: {
                            "version": code_list.version,
                            "items": [
                                {"code": item.code, "label": item.label, "requires_text": item.requires_text}
                                for item in code_list.items.all()
                            ],
                        }
                        for name, code_list in lists.items()
                    },
                }
            )
        try:
            data = _json_body(request)
            visitor = _token_visitor(data, request, office)
        except actions.GuestbookError as exc:
            return JsonResponse({"errors": exc.errors}, status=400)
        if visitor is None and (refusal := throttle.allow_new_visitor(client_ip(request))) is not None:
            message = _("Terlalu banyak percobaan. Coba lagi sebentar lagi.")
            response = JsonResponse({"errors": {"__all__": message}}, status=429)
            response["Retry-After"] = str(refusal.retry_after)
            return response
        form_data: dict[str, Any] = {key: value for key, value in data.items() if key not in {"visitor_token", "t"}}
        if isinstance(form_data.get("disability"), bool):
            form_data["disability"] = "1" if form_data["disability"] else "2"
        form_data["consent"] = "on" if data.get("consent") is True else ""
        form = GuestbookForm(form_data, visitor=visitor)
        entry = form.save(visitor, office=office, channel=str(data.get("channel") or WEB_CHANNEL)[:20])
        if entry is None:
            errors = {field: " ".join(str(m) for m in messages) for field, messages in form.errors.items()}
            return JsonResponse({"errors": errors}, status=400)
        refresh_consultations(entry.visitor, office)
        return JsonResponse(_visitor_json(entry.visitor, entry=entry.pk), status=201)


@csrf_exempt
@require_http_methods(["POST"])
def api_verify(request: HttpRequest, office_code: str) -> JsonResponse:
    office = get_object_or_404(Office, code=office_code)
    language = request.GET.get("lang") if request.GET.get("lang") in {"id", "en"} else "id"
    with translation.override(language):
        try:
            data = _json_body(request)
            visitor = _token_visitor(data, request, office)
            if visitor is None:
                raise Http404("no visitor")
            by = actions.visitor_actor(visitor)
            ip = client_ip(request)
            if data.get("action") == "send":
                email = str(data.get("email") or visitor.email)
                actions.start_email_verification(visitor, email=email, by=by, ip=ip, office=office)
                visitor.refresh_from_db()
            elif data.get("action") == "verify":
                code = str(data.get("code") or "")
                visitor = actions.verify_email(visitor, code=code, by=by, ip=ip, office=office)
                refresh_consultations(visitor, office)
            else:
                raise actions.GuestbookError({"action": "action: send | verify"})
        except actions.GuestbookError as exc:
            return JsonResponse({"errors": exc.errors}, status=exc.status_code)
        return JsonResponse(_visitor_json(visitor))


__all__ = [
    "GuestbookForm",
    "code_choices",
    "guestbook_form",
    "link_choice",
    "verify",
    "privacy",
    "api_guestbook",
    "api_verify",
]
