"""Pages of the visitor's rights (UU 27/2022) and the manager's queue of privacy requests (`guestbook.rights`).

- `/privasi/data/`: ask for the link (an e-mail address or WhatsApp number; the answer never says whether it is
  known);
- `/privasi/data/<token>/`: the visitor's data, readable, with the JSON download and the three requests;
- `/privasi/data/<token>/json/`: the same data as a JSON file;
- `/privasi/antrean/`: the requests of the offices the manager sees, oldest clock first; approve or refuse.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from pstdesk.accounts.access import acting_user, visible_offices
from pstdesk.guestbook import rights
from pstdesk.guestbook.models import PrivacyRequest, PrivacyRequestKind, PrivacyRequestStatus
from pstdesk.lib.actors import VisitorActor
from pstdesk.lib.errors import DomainError
from pstdesk.offices.models import Channel, Office
from pstdesk.offices.templatetags.office_time import in_office_time


def _language(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "")
    return lang if lang in {"id", "en"} else "id"


def _switch(language: str) -> dict[str, str]:
    # What the page's language switch needs (`guestbook/page.html`).
    other = "en" if language == "id" else "id"
    return {"language": language, "other_language": other, "switch_url": f"?lang={other}"}


def _headers(response: HttpResponse) -> HttpResponse:
    # Pages showing personal data: never cached, never sent as a referrer.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "POST"])
def rights_request(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        sent = False
        if request.method == "POST":
            rights.send_rights_link(request.POST.get("address", ""))
            sent = True  # the same answer whether the address is known or not
        return _headers(render(request, "guestbook/rights_request.html", {"sent": sent, **_switch(language)}))


def _readable(data: dict[str, Any]) -> dict[str, Any]:
    """The export as a person reads it: moments in the office's time ("1 Des 2026 10.00 WITA", not ISO in UTC),
    offices by name, channels, request kinds and statuses by their labels. The JSON download stays as exported."""

    names = dict(Office.objects.values_list("code", "name"))
    channels = dict(Channel.choices)

    def moments(row: dict[str, Any], office: Any = None) -> dict[str, Any]:
        out = dict(row)
        for key, value in row.items():
            if (key == "at" or key.endswith("_at")) and isinstance(value, str):
                moment = parse_datetime(value)
                out[key] = in_office_time(moment, office) if moment is not None else value
        return out

    shown = dict(data)
    shown["visitor"] = moments(data["visitor"])
    shown["guestbook_entries"] = [
        {**moments(e, e["office"]), "office": names.get(e["office"], e["office"])} for e in data["guestbook_entries"]
    ]
    shown["consents"] = [moments(c) for c in data["consents"]]
    shown["consultations"] = [
        {
            **moments(c, c["office"]),
            "channel": str(channels.get(c["channel"], c["channel"])),
            "messages": [moments(m, c["office"]) for m in c["messages"]],
            "rating": moments(c["rating"], c["office"]) if c["rating"] else None,
        }
        for c in data["consultations"]
    ]
    shown["privacy_requests"] = [
        {
            **moments(r),
            "kind": str(PrivacyRequestKind(r["kind"]).label),
            "status": str(PrivacyRequestStatus(r["status"]).label),
        }
        for r in data["privacy_requests"]
    ]
    shown["processing"] = [moments(p) for p in data["processing"]]
    return shown


def _visitor(token: str) -> Any:
    visitor = rights.visitor_from_token(token)
    if visitor is None:
        raise Http404("Link expired or invalid")
    return visitor


@require_http_methods(["GET", "POST"])
def rights_page(request: HttpRequest, token: str) -> HttpResponse:
    language = _language(request)
    visitor = _visitor(token)
    with translation.override(language):
        message = error = ""
        if request.method == "POST":
            kind = request.POST.get("kind", "")
            details: dict[str, Any] = {}
            if kind == PrivacyRequestKind.CORRECT:
                changes = {
                    field: request.POST.get(field, "").strip()
                    for field in ("name", *rights.CORRECTABLE_ENTRY_FIELDS)
                    if request.POST.get(field, "").strip()
                }
                details = {"changes": changes}
            try:
                req = rights.request_privacy_action(visitor, kind=kind, details=details, by=VisitorActor(visitor.pk))
            except DomainError as exc:
                error = exc.message
            else:
                message = str(req.get_kind_display())
        data = _readable(rights.export_visitor_data(visitor))
        context = {
            "data": data,
            "token": token,
            **_switch(language),
            "message": message,
            "error": error,
            "pending": PrivacyRequest.objects.filter(visitor=visitor, status=PrivacyRequestStatus.PENDING),
            "kinds": PrivacyRequestKind,
        }
        return _headers(render(request, "guestbook/rights_page.html", context, status=400 if error else 200))


def rights_json(request: HttpRequest, token: str) -> HttpResponse:
    visitor = _visitor(token)
    body = json.dumps(rights.export_visitor_data(visitor), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="data-pribadi-pst.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return _headers(response)


def _queue_for(user: Any) -> Any:

    return PrivacyRequest.objects.filter(office__in=visible_offices(user)).select_related("office", "decided_by")


@login_required
@require_http_methods(["GET", "POST"])
def privacy_queue(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The manager's queue. POST to `<pk>/` with decision=approve|refuse and a reason (required to refuse)."""
    requests = _queue_for(request.user)
    error = ""
    if request.method == "POST":
        req = requests.filter(pk=pk).first() if pk is not None else None
        if req is None or not rights.may_decide(request.user, req.office):
            raise Http404("No such request")
        try:
            rights.decide_privacy_request(
                req,
                approve=request.POST.get("decision") == "approve",
                reason=request.POST.get("reason", ""),
                by=acting_user(request),
            )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("guestbook:privacy_queue")
    elif pk is not None:
        raise Http404
    now = timezone.now()
    rows = list(requests.order_by("status", "due_at", "pk")[:200])
    context = {
        "pending": [r for r in rows if r.status == PrivacyRequestStatus.PENDING],
        "decided": [r for r in rows if r.status != PrivacyRequestStatus.PENDING][:50],
        "now": now,
        "error": error,
        "may_decide": {r.pk for r in rows if rights.may_decide(request.user, r.office)},
    }
    return _headers(render(request, "guestbook/privacy_queue.html", context, status=400 if error else 200))
