"""The supervision sections of the performance report: staffing per office per day (the duty roster against the
audited on/off duty history, `supervision.queries.staffing_by_day`) and the transcript reviews recorded in the
period (`supervision.queries.review_results`).

Kept apart from `figures.py` and `tables.py`, which call it with one line each: `supervision_section` adds the
`supervision` key of the report JSON, `supervision_tables` the tables every format shows (page, PDF, XLSX, CSV).
A constant number of queries, whatever the number of offices, officers, days or rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _

from pstdesk.offices.models import Office
from pstdesk.reports.periods import Period
from pstdesk.supervision.queries import review_results, staffing_by_day, staffing_summary

# Day rows in the report JSON and tables: an annual report of a large subtree keeps the per-office summary and
# lists the first DAY_ROWS_LIMIT working days (the query function itself has no limit).
DAY_ROWS_LIMIT = 5000


def supervision_section(offices: list[Office], period: Period, zone: ZoneInfo) -> dict[str, Any]:
    """{"staffing": {"offices": [...], "days": [...], "days_truncated": bool}, "reviews": {...}} for `period`.
    Staffing days are the working days of each office (closed days carry no service hours); the working calendar
    rows are current already (`build_report` ensures them first)."""
    days = staffing_by_day(offices, period.first, period.last, ensure_calendar=False)
    working = [day.as_json() for day in days if day.open]
    start, end = period.bounds(zone)
    return {
        "staffing": {
            "offices": staffing_summary(days, offices),
            "days": working[:DAY_ROWS_LIMIT],
            "days_truncated": len(working) > DAY_ROWS_LIMIT,
        },
        "reviews": review_results([office.code for office in offices], start, end),
    }


def supervision_tables(report: dict[str, Any]) -> list[Any]:
    """The staffing summary, staffing per day, review outcomes per checklist item and review findings."""
    # cycle: reports.tables imports reports.figures, which imports this module at load.
    from pstdesk.reports.tables import NUMBER, PERCENT, Table

    section = report.get("supervision")
    if not isinstance(section, dict):
        return []
    staffing, reviews = section["staffing"], section["reviews"]
    sources = {"standard": _("standar pelayanan"), "office": _("pengaturan kantor"), None: _("tidak ada")}

    summary = Table(
        slug="staf",
        title=_("Petugas bertugas: ringkasan"),
        headers=[
            _("Kode"),
            _("Kantor"),
            _("Minimum petugas"),
            _("Sumber minimum"),
            _("Hari kerja"),
            _("Rata-rata petugas terjadwal"),
            _("Rata-rata petugas bertugas"),
            _("Hari di bawah minimum"),
            _("Jam di bawah minimum"),
            _("Jam di bawah minimum menurut jadwal"),
            _("Jam tanpa petugas"),
        ],
        kinds=["text", "text", NUMBER, "text", NUMBER, NUMBER, NUMBER, NUMBER, NUMBER, NUMBER, NUMBER],
    )
    for row in staffing["offices"]:
        summary.rows.append(
            [
                row["code"],
                row["name"],
                row["minimum"],
                sources.get(row["minimum_source"], ""),
                row["working_days"],
                row["mean_scheduled"],
                row["mean_on_duty"],
                row["days_below_minimum"],
                row["hours_below_minimum"],
                row["scheduled_hours_below_minimum"],
                row["hours_unstaffed"],
            ]
        )

    per_day = Table(
        slug="staf_harian",
        title=_("Petugas bertugas per hari"),
        headers=[
            _("Kode"),
            _("Tanggal"),
            _("Jam pelayanan"),
            _("Terjadwal"),
            _("Bertugas"),
            _("Minimum"),
            _("Jam di bawah minimum"),
            _("Jam di bawah minimum menurut jadwal"),
            _("Jam tanpa petugas"),
        ],
        kinds=["text", "text", NUMBER, NUMBER, NUMBER, NUMBER, NUMBER, NUMBER, NUMBER],
    )
    for day in staffing["days"]:
        per_day.rows.append(
            [
                day["office"],
                formats.date_format(date.fromisoformat(day["date"]), "D, j M Y"),
                day["service_hours"],
                day["scheduled"],
                day["on_duty"],
                day["minimum"],
                day["hours_below_minimum"],
                day["scheduled_hours_below_minimum"],
                day["hours_unstaffed"],
            ]
        )

    outcomes = Table(
        slug="tinjauan",
        title=_("Tinjauan transkrip: hasil daftar periksa"),
        headers=[_("Butir"), _("Ya"), _("Tidak"), _("Tidak berlaku"), _("Persentase ya")],
        kinds=["text", NUMBER, NUMBER, NUMBER, PERCENT],
    )
    outcomes.rows.append([_("Transkrip ditinjau"), reviews["reviewed"], None, None, None])
    outcomes.rows.append([_("Petugas ditinjau"), reviews["officers"], None, None, None])
    outcomes.rows.append([_("Ditanggapi petugas"), reviews["replied"], None, None, None])
    outcomes.rows.append([_("Rata-rata skor (0–100)"), reviews["mean_score"], None, None, None])
    for item in reviews["items"]:
        applicable = item["yes"] + item["no"]
        share = round(item["yes"] / applicable, 4) if applicable else None
        outcomes.rows.append([item["label"], item["yes"], item["no"], item["na"], share])

    findings = Table(
        slug="temuan_tinjauan",
        title=_("Tinjauan transkrip: temuan"),
        headers=[_("Konsultasi"), _("Kantor"), _("Petugas"), _("Butir"), _("Hasil"), _("Catatan")],
        kinds=["text", "text", "text", "text", "text", "text"],
    )
    answers = {"yes": _("Ya"), "no": _("Tidak"), "na": _("Tidak berlaku")}
    for finding in reviews["findings"]:
        findings.rows.append(
            [
                f"PST#{finding['consultation']}",
                finding["office"],
                finding["officer"],
                finding["label"],
                answers.get(finding["answer"], finding["answer"]),
                finding["note"],
            ]
        )
    return [summary, per_day, outcomes, findings]
