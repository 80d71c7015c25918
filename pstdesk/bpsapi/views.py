"""JSON endpoints of the console's BPS data panel. GET only, staff only; the consultation in the URL names the
office (missing and forbidden consultations both answer 404). Failures answer `{"ok": false, "error": …}` with a
4xx/5xx status, never an error page, so the panel can show the sentence."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from pstdesk.bpsapi import panel
from pstdesk.consultations.access import get_consultation_for


def _error(exc: panel.PanelError) -> JsonResponse:
    return JsonResponse({"ok": False, "error": exc.message, "code": exc.code}, status=exc.status)


@require_GET
@login_required
def search(request: HttpRequest, pk: int) -> JsonResponse:
    consultation = get_consultation_for(request.user, pk)
    try:
        page = int(request.GET.get("page") or 1)
    except ValueError:
        page = 1
    try:
        result = panel.search(
            consultation.office,
            query=request.GET.get("q", ""),
            scope=request.GET.get("scope", "office"),
            kind=request.GET.get("kind", "statictable"),
            page=page,
        )
    except panel.PanelError as exc:
        return _error(exc)
    return JsonResponse(result)


@require_GET
@login_required
def table(request: HttpRequest, pk: int) -> JsonResponse:
    consultation = get_consultation_for(request.user, pk)
    try:
        result = panel.preview_table(
            consultation.office, scope=request.GET.get("scope", "office"), table_id=request.GET.get("id", "")
        )
    except panel.PanelError as exc:
        return _error(exc)
    return JsonResponse(result)
