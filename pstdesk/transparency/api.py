"""`GET /api/v1/offices/{code}/figures?period=YYYY-MM|YYYY`: an office's published figures (public, no login).

A month answers its approved figures (404 while not approved); a year answers every approved month and their
total. Counts and indices only: no personal data. Unknown office: 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router

from pstdesk.offices.models import Office
from pstdesk.transparency import queries

router = Router(tags=["transparency"])


@router.get("/{code}/figures", auth=None, summary="An office's published monthly or yearly figures")
def office_figures(request: HttpRequest, code: str, period: str) -> Any:
    office = Office.objects.filter(code=code).first()
    if office is None:
        return JsonResponse({"detail": _("Kantor tidak ditemukan.")}, status=404)
    parts = period.split("-")
    if not all(p.isdigit() for p in parts) or len(parts) not in (1, 2) or len(parts[0]) != 4:
        return JsonResponse({"detail": _("period harus YYYY atau YYYY-MM.")}, status=400)
    year = int(parts[0])
    if len(parts) == 2:
        month = int(parts[1])
        if not 1 <= month <= 12:
            return JsonResponse({"detail": _("period harus YYYY atau YYYY-MM.")}, status=400)
        found = queries.month_figures(office, year, month)
        if found is None:
            return JsonResponse({"detail": _("Angka bulan ini belum dipublikasikan.")}, status=404)
        figures, approved_at = found
        return {
            "office": office.code,
            "period": f"{year}-{month:02d}",
            "approved_at": approved_at.isoformat(),
            **figures,
        }
    months = [
        {"period": f"{r.year}-{r.month:02d}", "approved_at": r.approved_at.isoformat(), **r.figures}
        for r in queries.published_months(office, year)
    ]
    regencies = [
        {"office": child.code, "name": child.name, "total": queries.year_total(child, year)}
        for child in Office.objects.filter(parent=office).order_by("code")
    ]
    return {
        "office": office.code,
        "period": str(year),
        "months": months,
        "total": queries.year_total(office, year),
        "regencies": regencies,
        "total_with_regencies": queries.subtree_total(office, year) if regencies else None,
    }
