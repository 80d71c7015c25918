"""Pages and endpoints of the soft-copy library.

Staff: `/console/pustaka/` (the office's publications; administrators upload there), `/console/pustaka/log/` (which
copy went to whom and when, and the most requested publications), `POST /console/pustaka/<id>/kirim/` (send a
stamped copy to the visitor of a consultation, JSON for the console panel) and `/console/pustaka/salinan/<id>/`
(a sent copy, for staff of its office). Visitors: `/pustaka/salinan/<token>/`, the expiring signed link, rate
limited per client and per copy. No URL ever serves an original.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pstdesk.accounts.access import acting_user, can_administer, visible_offices
from pstdesk.consultations.access import get_consultation_for
from pstdesk.lib.errors import DomainError
from pstdesk.lib.proxies import client_ip
from pstdesk.library import actions
from pstdesk.library.access import deliveries_for, get_delivery_for, get_publication_for, publications_for
from pstdesk.library.models import Delivery
from pstdesk.library.queries import most_requested_publications

# Downloads of one link: per client address and per copy, in fixed windows (seconds, limit).
DOWNLOAD_LIMITS = (("ip", 600, 30), ("ip", 86400, 200), ("copy", 3600, 20))


def _file(handle: Any, filename: str) -> FileResponse:
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _copy_name(delivery: Delivery) -> str:
    return f"{delivery.publication.title[:80]} - PST{delivery.consultation_id}.pdf"


@require_http_methods(["GET", "POST"])
@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """The publications of the offices the user sees; administrators add one with the form (POST)."""
    offices = list(visible_offices(request.user))
    if not offices:
        raise PermissionDenied(_("Akun ini tidak terdaftar sebagai petugas kantor mana pun."))
    admin_offices = [office for office in offices if can_administer(request.user, office)]
    error = ""
    form = {"title": "", "year": "", "subject": "", "office": admin_offices[0].pk if admin_offices else ""}
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in ("title", "year", "subject", "office")}
        office = next((o for o in admin_offices if o.pk == form["office"]), None)
        if office is None:
            raise Http404("Office not found")
        try:
            publication = actions.add_publication(
                office,
                by=acting_user(request),
                title=form["title"],
                year=form["year"],
                subject=form["subject"],
                upload=request.FILES.get("file"),
            )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect(f"{request.path}?added={publication.pk}")
    publications = publications_for(request.user).select_related("office").order_by("office_id", "-year", "title")
    return render(
        request,
        "library/manage.html",
        {
            "publications": publications,
            "admin_offices": admin_offices,
            "error": error,
            "form": form,
            "added": request.GET.get("added", ""),
        },
        status=400 if error else 200,
    )


@require_POST
@login_required
def set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a publication from the console's list (or return it): administrators of its office only; 404 for
    another office's publication."""
    publication = get_publication_for(request.user, pk)
    if not can_administer(request.user, publication.office):
        raise Http404("Publication not found")
    actions.set_publication_active(publication, by=acting_user(request), active=request.POST.get("active") == "1")
    return redirect("library:manage")


@require_GET
@login_required
def log(request: HttpRequest) -> HttpResponse:
    """The last 200 copies sent by the offices the user sees, and the most requested publications."""
    offices = list(visible_offices(request.user))
    if not offices:
        raise PermissionDenied(_("Akun ini tidak terdaftar sebagai petugas kantor mana pun."))
    deliveries = deliveries_for(request.user).select_related("publication", "visitor", "sent_by", "office")[:200]
    return render(
        request,
        "library/log.html",
        {"deliveries": deliveries, "top": most_requested_publications(offices, limit=10)},
    )


@require_POST
@login_required
def send(request: HttpRequest, pk: int) -> JsonResponse:
    """Send a stamped copy of publication `pk` in the consultation named by the form field `consultation`; 404 when
    either is not the user's office's, or when they belong to different offices."""
    publication = get_publication_for(request.user, pk)
    consultation = get_consultation_for(request.user, request.POST.get("consultation"))
    if publication.office_id != consultation.office_id:
        raise Http404("Publication not found")
    try:
        delivery = actions.send_publication(publication, consultation=consultation, by=acting_user(request))
    except DomainError as exc:
        return JsonResponse({"ok": False, "error": exc.message}, status=exc.status_code)
    return JsonResponse(
        {
            "ok": True,
            "delivery": delivery.pk,
            "message": _("Salinan bertanda untuk %(visitor)s terkirim; tautannya berlaku %(days)s hari.")
            % {"visitor": consultation.visitor.name or _("pengguna"), "days": _days(delivery)},
        }
    )


def _days(delivery: Delivery) -> int:
    return max(1, round((delivery.expires_at - delivery.sent_at).total_seconds() / 86400))


@require_GET
@login_required
def staff_copy(request: HttpRequest, pk: int) -> FileResponse:
    """A copy already sent (never the original), for staff of its office."""
    delivery = get_delivery_for(request.user, pk)
    return _open(delivery)


def _open(delivery: Delivery) -> FileResponse:
    try:
        handle = delivery.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("Copy not found") from None
    return _file(handle, _copy_name(delivery))


def _limited(request: HttpRequest, delivery_id: int | None) -> int:
    """Seconds to wait when a download limit is passed, else 0 (every call counts, forged tokens included)."""
    now = time.time()
    subjects = {"ip": client_ip(request.META), "copy": str(delivery_id)}
    wait = 0
    for scope, window, limit in DOWNLOAD_LIMITS:
        if scope == "copy" and delivery_id is None:
            continue
        bucket = int(now // window)
        key = f"library:dl:{scope}:{subjects[scope]}:{window}:{bucket}"
        try:
            count = 1 if cache.add(key, 1, timeout=window + 5) else cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=window + 5)
            count = 1
        if count > limit:
            wait = max(wait, int((bucket + 1) * window - now) + 1)
    return wait


@require_GET
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The visitor's stamped copy by its signed link: 404 for a forged token, 410 once expired, 429 past the
    limits. Reading only: nothing is written but the rate-limit counters."""
    delivery_id = actions.read_copy_token(token)
    wait = _limited(request, delivery_id)
    if wait:
        response = render(
            request,
            "library/link.html",
            {"message": _("Terlalu banyak unduhan dari tautan ini. Coba lagi beberapa saat lagi.")},
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
    if delivery_id is None:
        raise Http404("Copy not found")
    delivery = Delivery.objects.select_related("publication").filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404("Copy not found")
    if delivery.is_expired():
        return render(
            request,
            "library/link.html",
            {"message": _("Tautan ini sudah kedaluwarsa. Mintalah salinan baru kepada petugas PST.")},
            status=410,
        )
    return _open(delivery)
