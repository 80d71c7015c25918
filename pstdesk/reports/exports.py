"""The report's files: XLSX (a sheet per table, numbers as numbers, frozen header row, a definitions sheet), CSV
(one table per file, in a zip), PDF (A4, reportlab: heading with office and period, charts, page numbers,
Indonesian number and date formats), JSON, and the per-consultation rows export (CSV or XLSX).

All of them render a report dict from `figures.build_report` (or a stored snapshot's figures) except the rows
export, which streams one row per consultation from one query.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from pstdesk.complaints.models import Compensation
from pstdesk.consultations.models import Consultation
from pstdesk.offices.models import Office
from pstdesk.reports.calendar import ensure_working_days
from pstdesk.reports.dbfuncs import working_day_number, working_minutes_at
from pstdesk.reports.periods import Period, format_date_id, format_number_id
from pstdesk.reports.tables import NUMBER, PERCENT, Table, build_tables, definitions

FORMATS = ("json", "csv", "xlsx", "pdf")
ROW_FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def render(report: dict[str, Any], fmt: str) -> bytes:
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv_zip(report)
    if fmt == "xlsx":
        return render_xlsx(report)
    if fmt == "pdf":
        return render_pdf(report)
    raise ValueError(f"unknown format {fmt!r}")


def file_name(report: dict[str, Any], fmt: str, *, rows: bool = False) -> str:
    scope = report["office"]["code"] + ("-subtree" if report.get("subtree") else "")
    period = report["period"]["key"].replace("..", "_")
    extension = "zip" if fmt == "csv" and not rows else fmt
    return f"laporan-{'baris-' if rows else ''}{scope}-{period}.{extension}"


def render_json(report: dict[str, Any]) -> bytes:
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=False).encode()


def render_csv_zip(report: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in build_tables(report):
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(table.headers)
            writer.writerows([["" if value is None else value for value in row] for row in table.rows])
            archive.writestr(f"{table.slug}.csv", text.getvalue())
    return buffer.getvalue()


def render_xlsx(report: dict[str, Any]) -> bytes:
    workbook = Workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = "laporan"
    cover.append([_("Laporan evaluasi kinerja pelayanan")])
    cover.append([_("Kantor"), f"{report['office']['code']} {report['office']['name']}"])
    cover.append([_("Periode"), report["period"]["label"]])
    cover.append([_("Dibuat"), report["generated_at"]])
    cover["A1"].font = Font(bold=True, size=14)
    for table in build_tables(report):
        sheet = workbook.create_sheet(table.slug[:31])
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index, row in enumerate(table.rows):
            sheet.append(row)
            for column, value in enumerate(row):
                kind = table.kinds[column] if column < len(table.kinds) else "text"
                if table.row_kinds and kind == NUMBER and table.row_kinds[index] == PERCENT:
                    kind = PERCENT
                if kind == PERCENT and isinstance(value, int | float):
                    sheet.cell(row=index + 2, column=column + 1).number_format = "0.0%"
        sheet.freeze_panes = "A2"
        for column_cells in sheet.columns:
            width = max((len(str(cell.value)) for cell in column_cells if cell.value is not None), default=8)
            sheet.column_dimensions[column_cells[0].column_letter].width = min(max(width + 2, 10), 60)
    glossary = workbook.create_sheet("definisi")
    glossary.append([_("Istilah"), _("Definisi")])
    for cell in glossary[1]:
        cell.font = Font(bold=True)
    for term, text in definitions():
        glossary.append([term, text])
    glossary.freeze_panes = "A2"
    glossary.column_dimensions["A"].width = 32
    glossary.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _show(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == PERCENT and isinstance(value, int | float):
        return format_number_id(value * 100, 1) + "%"
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    if isinstance(value, int):
        return format_number_id(value)
    if isinstance(value, float):
        return format_number_id(value, 0 if value.is_integer() else 2)
    return str(value)


def display_rows(table: Table) -> list[list[str]]:
    """The table's cells as Indonesian-formatted text (for the PDF and the page)."""
    shown = []
    for index, row in enumerate(table.rows):
        cells = []
        for column, value in enumerate(row):
            kind = table.kinds[column] if column < len(table.kinds) else "text"
            if table.row_kinds and kind == NUMBER and table.row_kinds[index] == PERCENT:
                kind = PERCENT
            cells.append(_show(value, kind))
        shown.append(cells)
    return shown


def render_pdf(report: dict[str, Any]) -> bytes:
    styles = getSampleStyleSheet()
    office = f"{report['office']['code']} {report['office']['name']}"
    if report.get("subtree"):
        office += " " + _("(beserta kantor di bawahnya)")
    generated = datetime.fromisoformat(report["generated_at"]).astimezone(ZoneInfo(report["office"]["timezone"]))

    def bar_chart(title: str, labels: list[str], values: list[float]) -> Drawing:
        drawing = Drawing(17 * cm, 5.5 * cm)
        chart = VerticalBarChart()
        chart.x, chart.y, chart.width, chart.height = 1.2 * cm, 1 * cm, 15 * cm, 3.6 * cm
        chart.data = [values or [0]]
        chart.categoryAxis.categoryNames = labels or [""]
        chart.categoryAxis.labels.fontSize = 6
        chart.valueAxis.valueMin = 0
        # Whole steps: the figures are counts, and a fractional tick would print as a repeated integer.
        chart.valueAxis.valueStep = max(1, math.ceil(max(values or [0]) / 5))
        chart.valueAxis.labels.fontSize = 7
        chart.valueAxis.labelTextFormat = lambda value: format_number_id(value)
        chart.bars[0].fillColor = colors.HexColor("#1f5f99")
        drawing.add(chart)
        drawing.add(String(1.2 * cm, 5 * cm, title, fontSize=9, fontName="Helvetica-Bold"))
        return drawing

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(2 * cm, 1.2 * cm, f"{office} · {report['period']['label']}")
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, _("Halaman %(page)s") % {"page": doc.page})
        canvas.restoreState()

    story: list[Any] = [
        Paragraph(_("Laporan evaluasi kinerja pelayanan"), styles["Title"]),
        Paragraph(office, styles["Heading2"]),
        Paragraph(_("Periode: %(period)s") % {"period": report["period"]["label"]}, styles["Normal"]),
        Paragraph(
            _("Dibuat: %(date)s pukul %(time)s")
            % {"date": format_date_id(generated.date()), "time": f"{generated:%H.%M}"},
            styles["Normal"],
        ),
        Spacer(1, 0.4 * cm),
    ]
    consultations = report["consultations"]
    channel_table = next(t for t in build_tables(report) if t.slug == "konsultasi")
    channels = [
        (row[1].split(": ", 1)[-1], row[2])
        for row in channel_table.rows
        if row[0].startswith("consultations.by_channel.")
    ]
    story.append(bar_chart(_("Konsultasi per kanal"), [c[0][:24] for c in channels], [float(c[1]) for c in channels]))
    story.append(
        bar_chart(
            _("Konsultasi per jam kedatangan"),
            [f"{h:02d}" for h in range(24)],
            [float(consultations["by_hour"][str(h)]) for h in range(24)],
        )
    )
    distribution = report["ratings"]["distribution"]
    story.append(bar_chart(_("Sebaran nilai penilaian"), list("12345"), [float(distribution[s]) for s in "12345"]))
    for table in build_tables(report):
        story.append(Paragraph(table.title, styles["Heading3"]))
        if not table.rows:
            story.append(Paragraph(_("Tidak ada data."), styles["Normal"]))
            continue
        headers, rows = table.headers, display_rows(table)
        if table.keys:  # figure tables: the JSON key is for machines, not for the printed page
            headers, rows = headers[1:], [row[1:] for row in rows]
        cell = styles["BodyText"].clone("cell", fontSize=7, leading=8.5)
        data = [[Paragraph(str(text), cell) for text in headers]] + [
            [Paragraph(str(text), cell) for text in row] for row in rows
        ]
        pdf_table = PdfTable(data, repeatRows=1, hAlign="LEFT")
        pdf_table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c4")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(pdf_table)
        story.append(Spacer(1, 0.3 * cm))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.8 * cm,
        bottomMargin=2 * cm,
        title=_("Laporan evaluasi kinerja pelayanan") + f" {office} {report['period']['label']}",
    )
    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


# --- one row per consultation --------------------------------------------------------------------------------

ROW_HEADERS = (
    "konsultasi",
    "kantor",
    "kanal",
    "topik",
    "masuk",
    "respons_pertama",
    "menit_kerja_respons_pertama",
    "dijawab",
    "hari_kerja_sampai_dijawab",
    "batas_waktu",
    "sesuai_standar",
    "petugas",
    "nilai",
    "pelanggaran",
    "kompensasi",
)


def consultation_rows(offices: list[Office], period: Period, zone: ZoneInfo) -> QuerySet[Consultation]:
    """The period's consultations with every column of the rows export computed by the database."""
    start, end = period.bounds(zone)
    ensure_working_days(offices, period.last.year)
    compensation = Compensation.objects.filter(consultation_id=OuterRef("pk")).order_by("-opened_at")
    return (
        Consultation.objects.filter(office_id__in=[o.code for o in offices], created_at__gte=start, created_at__lt=end)
        .annotate(
            fr_minutes=working_minutes_at("first_response_at") - working_minutes_at("created_at"),
            answer_days=working_day_number("answered_at") - working_day_number("sla_started_at"),
            officer=F("assigned_to__username"),
            score=F("rating__score"),
            breach_count=Count("breaches"),
            compensation=Subquery(compensation.values("status")[:1]),
            within=Q(answered_at__lte=F("due_at")),
        )
        .order_by("created_at", "id")
    )


def iter_rows(queryset: QuerySet[Consultation], zone: ZoneInfo) -> Iterator[list[Any]]:
    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    for c in queryset.iterator(chunk_size=2000):
        yield [
            c.pk,
            c.office_id,
            c.channel,
            c.topic,
            local(c.created_at),
            local(c.first_response_at),
            round(c.fr_minutes, 1) if c.first_response_at else None,  # type: ignore[attr-defined]
            local(c.answered_at),
            int(c.answer_days) if c.answer_days is not None and c.answered_at else None,  # type: ignore[attr-defined]
            local(c.due_at),
            (bool(c.within) if c.answered_at else None) if c.due_at else None,  # type: ignore[attr-defined]
            c.officer or "",  # type: ignore[attr-defined]
            c.score,  # type: ignore[attr-defined]
            c.breach_count,  # type: ignore[attr-defined]
            c.compensation or "",  # type: ignore[attr-defined]
        ]


def render_rows(offices: list[Office], period: Period, zone: ZoneInfo, fmt: str) -> bytes:
    rows = iter_rows(consultation_rows(offices, period, zone), zone)
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(ROW_HEADERS)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
        return text.getvalue().encode()
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("konsultasi")
        sheet.freeze_panes = "A2"
        sheet.append(list(ROW_HEADERS))
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    raise ValueError(f"unknown rows format {fmt!r}")
