"""The public transparency page `/transparansi/<office>/` (no login, approved months only, no personal data) and
the service manager's approval page `/pengawasan/transparansi/<office>/`."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pstdesk.accounts.access import acting_user, get_office_for
from pstdesk.lib.errors import DomainError
from pstdesk.offices.models import Channel, Office
from pstdesk.transparency import queries
from pstdesk.transparency.actions import approve_month, can_approve
from pstdesk.transparency.figures import compute_month, public_view

CHART_WIDTH = 360


def _bars(rows: list[queries.MonthRow], key: str, maximum: float | None = None) -> list[dict[str, Any]]:
    """Bars of an inline SVG chart: one per approved month (no script needed, prints as is)."""
    values = [(r.month, r.figures.get(key)) for r in rows]
    top = maximum or max((v for _m, v in values if v), default=0) or 1
    return [
        {"month": m, "value": v, "width": round((v or 0) / top * CHART_WIDTH), "y": i * 22}
        for i, (m, v) in enumerate(values)
    ]


@require_GET
def public_page(request: HttpRequest, code: str) -> HttpResponse:
    office = get_object_or_404(Office, code=code)
    years = queries.published_years(office)
    today = timezone.now().astimezone(ZoneInfo(office.timezone)).date()
    raw_year = request.GET.get("tahun", "")
    year = (
        int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else (years[0] if years else today.year)
    )
    rows = queries.published_months(office, year)
    children = list(Office.objects.filter(parent=office).order_by("code"))
    regencies = [(child, queries.year_total(child, year)) for child in children]
    context = {
        "office": office,
        "year": year,
        "years": years,
        "rows": rows,
        "total": queries.year_total(office, year),
        "regencies": regencies,
        "subtree_total": queries.subtree_total(office, year) if children else None,
        "channels": Channel.choices,
        "served_bars": _bars(rows, "served"),
        "ikm_bars": _bars(rows, "ikm", maximum=100),
        "chart_height": max(len(rows), 1) * 22,
        "chart_width": CHART_WIDTH,
    }
    return render(request, "transparency/public.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def approve_page(request: HttpRequest, code: str) -> HttpResponse:
    """The manager's view of a month's draft figures (as they would be published) and the approval button."""
    office = get_office_for(request.user, code)
    if not can_approve(request.user, office):
        raise Http404("Not found")
    today = timezone.now().astimezone(ZoneInfo(office.timezone)).date()
    last = date(today.year, today.month, 1)
    previous = (last.year - 1, 12) if last.month == 1 else (last.year, last.month - 1)
    raw = request.POST.get("bulan") or request.GET.get("bulan") or f"{previous[0]}-{previous[1]:02d}"
    try:
        year, month = (int(part) for part in raw.split("-"))
        date(year, month, 1)
    except ValueError:
        year, month = previous
    error = ""
    if request.method == "POST":
        try:
            approve_month(office, by=acting_user(request), year=year, month=month)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request, _("Angka %(month)s disetujui dan dipublikasikan.") % {"month": f"{month:02d}/{year}"}
            )
            return redirect(f"{request.path}?bulan={year}-{month:02d}")
    published = queries.month_figures(office, year, month)
    draft = None if published else public_view(compute_month(office, year, month))
    context = {
        "office": office,
        "year": year,
        "month": month,
        "published": published,
        "draft": draft,
        "error": error,
        "channels": Channel.choices,
    }
    return render(request, "transparency/approve.html", context, status=400 if error else 200)
