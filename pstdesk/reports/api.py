"""The reports API (`/api/v1/reports/…`): an office's report as JSON (the keys of docs/reports.md) and its
per-consultation rows as CSV or XLSX. Same access as the pages: supervisors, managers and admins of the office
or above; 404 for another office."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from pstdesk.lib.errors import InvalidInput
from pstdesk.offices.models import Office
from pstdesk.reports.access import report_office_for
from pstdesk.reports.exports import CONTENT_TYPES, ROW_FORMATS, render_rows
from pstdesk.reports.figures import build_report
from pstdesk.reports.periods import default_period, parse_period

router = Router(tags=["reports"])


@router.get("/{code}", response=dict[str, Any])
def get_report(request: HttpRequest, code: str, period: str = "", subtree: bool = False) -> Any:
    """The report of office `code` (with `subtree`: and every office below it) for `period` (YYYY-MM, YYYY or
    YYYY-MM-DD..YYYY-MM-DD; default: the previous month)."""
    office = report_office_for(request.user, code)
    try:
        parsed = parse_period(period) if period else default_period(office)
    except InvalidInput as exc:
        return JsonResponse({"detail": exc.message}, status=400)
    return build_report(office, parsed, subtree=subtree)


@router.get("/{code}/rows")
def get_rows(request: HttpRequest, code: str, period: str = "", format: str = "csv", subtree: bool = False) -> Any:
    """One row per consultation opened in the period, as CSV or XLSX."""
    office = report_office_for(request.user, code)
    if format not in ROW_FORMATS:
        return JsonResponse({"detail": f"format must be one of {', '.join(ROW_FORMATS)}"}, status=400)
    try:
        parsed = parse_period(period) if period else default_period(office)
    except InvalidInput as exc:
        return JsonResponse({"detail": exc.message}, status=400)
    offices = list(Office.objects.subtree_of(office)) if subtree else [office]
    data = render_rows(offices, parsed, ZoneInfo(office.timezone), format)
    response = HttpResponse(data, content_type="text/csv" if format == "csv" else CONTENT_TYPES[format])
    name = f"laporan-baris-{office.code}-{parsed.key.replace('..', '_')}.{format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
