"""The report pages at /laporan/: the report of an office or subtree for a period (tables, charts, drill-down to
the consultations behind a figure, downloads), "Kinerja saya" for officers, and the archive of stored reports.

Thin views: they check access through `reports.access` (404 for another office) and render `figures` and `tables`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from pstdesk.accounts.access import visible_offices
from pstdesk.consultations.models import Consultation
from pstdesk.lib.errors import InvalidInput
from pstdesk.offices.models import Office
from pstdesk.reports.access import reads_reports, report_office_for, snapshot_for
from pstdesk.reports.dbfuncs import in_service_hours
from pstdesk.reports.exports import (
    CONTENT_TYPES,
    FORMATS,
    ROW_FORMATS,
    display_rows,
    file_name,
    render_json,
    render_rows,
)
from pstdesk.reports.exports import render as render_file
from pstdesk.reports.figures import build_report
from pstdesk.reports.models import ReportSnapshot
from pstdesk.reports.periods import Period, default_period, parse_period
from pstdesk.reports.tables import build_tables

DRILL_LIMIT = 200


def _choice(request: HttpRequest) -> tuple[Office, Period, bool]:
    office = report_office_for(request.user, request.GET.get("office"))
    try:
        period = parse_period(request.GET["period"]) if request.GET.get("period") else default_period(office)
    except InvalidInput:
        raise Http404("Bad period") from None
    return office, period, request.GET.get("subtree") == "1"


def _query(office: Office, period: Period, subtree: bool) -> str:
    return f"office={office.code}&period={period.key}" + ("&subtree=1" if subtree else "")


@login_required
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    if not reads_reports(request.user):
        return redirect("reports:mine")
    office, period, subtree = _choice(request)
    report = build_report(office, period, subtree=subtree)
    tables = [(table, display_rows(table)) for table in build_tables(report)]
    channels = [
        (row[1].split(": ", 1)[-1], row[2], row[0].rsplit(".", 1)[-1])
        for row in tables[0][0].rows
        if ".by_channel." in row[0]
    ]
    peak = max([c[1] for c in channels] + [1])
    hours = [(h, report["consultations"]["by_hour"][str(h)]) for h in range(24)]
    hour_peak = max([n for _h, n in hours] + [1])
    context = {
        "report": report,
        "office": office,
        "period": period,
        "subtree": subtree,
        "offices": visible_offices(request.user).order_by("path"),
        "tables": tables,
        "query": _query(office, period, subtree),
        "formats": FORMATS,
        "row_formats": ROW_FORMATS,
        "channel_bars": [(label, n, key, round(100 * n / peak)) for label, n, key in channels],
        "hour_bars": [(h, n, round(100 * n / hour_peak)) for h, n in hours],
    }
    return render(request, "reports/report.html", context)


@login_required
@require_GET
def download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The report as a file (`fmt` in FORMATS), or one row per consultation (`/laporan/baris.<csv|xlsx>`)."""
    office, period, subtree = _choice(request)
    rows = request.resolver_match is not None and request.resolver_match.url_name == "rows"
    if fmt not in (ROW_FORMATS if rows else FORMATS):
        raise Http404("Unknown format")
    if rows:
        offices = list(Office.objects.subtree_of(office)) if subtree else [office]
        data = render_rows(offices, period, ZoneInfo(office.timezone), fmt)
        name = f"laporan-baris-{office.code}{'-subtree' if subtree else ''}-{period.key.replace('..', '_')}.{fmt}"
        content_type = "text/csv" if fmt == "csv" else CONTENT_TYPES[fmt]
    else:
        report = build_report(office, period, subtree=subtree)
        data, name, content_type = render_file(report, fmt), file_name(report, fmt), CONTENT_TYPES[fmt]
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def drill(request: HttpRequest) -> HttpResponse:
    """The consultations behind a figure of the report: `?office=&period=&subtree=&figure=` with figure one of
    opened, channel:<c>, topic:<t>, outside_hours, answered, within_standard, late, breach, rated, score:<n>,
    gratuity, illegal_fee, unanswered."""
    office, period, subtree = _choice(request)
    codes = [o.code for o in Office.objects.subtree_of(office)] if subtree else [office.code]
    start, end = period.bounds(ZoneInfo(office.timezone))
    qs = Consultation.objects.filter(office_id__in=codes, created_at__gte=start, created_at__lt=end)
    figure = request.GET.get("figure", "opened")
    name, _sep, value = figure.partition(":")
    filters: dict[str, Any] = {
        "opened": Q(),
        "channel": Q(channel=value),
        "topic": Q(topic="" if value == "none" else value),
        "answered": Q(answered_at__isnull=False),
        "unanswered": Q(answered_at__isnull=True),
        "within_standard": Q(due_at__isnull=False, answered_at__lte=F("due_at")),
        "late": Q(due_at__isnull=False)
        & (Q(answered_at__gt=F("due_at")) | Q(answered_at__isnull=True, due_at__lt=timezone.now())),
        "breach": Q(breaches__isnull=False),
        "rated": Q(rating__isnull=False),
        "score": Q(rating__score=value if value.isdigit() else 0),
        "gratuity": Q(rating__gratuity=True),
        "illegal_fee": Q(rating__illegal_fee=True),
        "outside_hours": ~Q(in_service_hours("created_at")),
    }
    if name not in filters:
        raise Http404("Unknown figure")
    qs = qs.filter(filters[name]).distinct().select_related("assigned_to", "office").order_by("created_at", "id")
    total = qs.count()
    context = {
        "office": office,
        "period": period,
        "subtree": subtree,
        "figure": figure,
        "total": total,
        "consultations": list(qs[:DRILL_LIMIT]),
        "limit": DRILL_LIMIT,
        "query": _query(office, period, subtree),
    }
    return render(request, "reports/drill.html", context)


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """ "Kinerja saya": the officer's own row of their office's report for the period, and nothing else."""
    user: Any = request.user
    office = Office.objects.filter(code=user.office_id).first()
    if office is None:
        raise Http404("Not found")
    try:
        period = parse_period(request.GET["period"]) if request.GET.get("period") else default_period(office)
    except InvalidInput:
        raise Http404("Bad period") from None
    report = build_report(office, period)
    row = next((item for item in report["officers"] if item["id"] == user.pk), None)
    return render(request, "reports/mine.html", {"office": office, "period": period, "row": row, "report": report})


@login_required
@require_GET
def archive(request: HttpRequest) -> HttpResponse:
    """Stored reports of the visible offices, with their versions and who received each."""
    if not reads_reports(request.user):
        raise Http404("Not found")
    snapshots = (
        ReportSnapshot.objects.filter(office__in=visible_offices(request.user))
        .select_related("office")
        .prefetch_related("deliveries")
        .order_by("-period_start", "office", "kind", "-version")[:200]
    )
    return render(request, "reports/archive.html", {"snapshots": snapshots})


@login_required
@require_GET
def archive_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    snapshot = snapshot_for(request.user, pk)
    if fmt == "json":
        data, content_type = render_json(snapshot.figures), CONTENT_TYPES["json"]
    else:
        field = {"pdf": snapshot.pdf, "xlsx": snapshot.xlsx, "csv": snapshot.csv_zip}.get(fmt)
        if not field:
            raise Http404("No such file")
        with field.open("rb") as handle:
            data = handle.read()
        content_type = CONTENT_TYPES[fmt]
    response = HttpResponse(data, content_type=content_type)
    name = file_name(snapshot.figures, fmt).replace("laporan-", f"laporan-v{snapshot.version}-", 1)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
