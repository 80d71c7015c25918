"""The report as tables: one list of `Table`s shared by the XLSX workbook (a sheet each), the CSV zip (a file
each), the PDF and the console page, so every format shows the same figures under the same names.

Figure rows carry the JSON key they come from (`consultations.opened`), their label, and the value for the
period, the previous period and the same period a year earlier; the definitions sheet explains every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from pstdesk.complaints.models import BreachKind, ComplaintKind, ComplaintSource, ComplaintStatus
from pstdesk.consultations.models import Topic
from pstdesk.offices.models import Channel
from pstdesk.reports.figures import GUESTBOOK_FIELDS, code_labels
from pstdesk.reports.sections_supervision import supervision_tables

PERCENT = "percent"  # a share in 0..1, shown as a percentage
NUMBER = "number"


@dataclass
class Table:
    """One table: `slug` names its sheet and file; `kinds` says how to show each column (NUMBER, PERCENT, or
    "text")."""

    slug: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    # The figure rows' JSON keys (same order as rows), when the table is of figures.
    keys: list[str] = field(default_factory=list)
    # Per row, whether the values are shares (percentages) rather than counts.
    row_kinds: list[str] = field(default_factory=list)


def _get(data: dict[str, Any], key: str) -> Any:
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _weekday_names() -> dict[str, str]:
    names = [_("Senin"), _("Selasa"), _("Rabu"), _("Kamis"), _("Jumat"), _("Sabtu"), _("Minggu")]
    return {str(i + 1): name for i, name in enumerate(names)}


def figure_rows(report: dict[str, Any]) -> dict[str, list[tuple[str, str, str]]]:
    """{table slug: [(JSON key, label, NUMBER|PERCENT)]} of the figures shown beside their comparisons."""
    channels = {c.value: str(c.label) for c in Channel}
    topics = {t.value: str(t.label) for t in Topic} | {"none": _("Belum ditandai")}
    consultations = [
        ("consultations.opened", _("Konsultasi masuk"), NUMBER),
        ("consultations.closed", _("Konsultasi ditutup"), NUMBER),
        *[(f"consultations.by_channel.{k}", _("Kanal: %(name)s") % {"name": v}, NUMBER) for k, v in channels.items()],
        *[(f"consultations.by_topic.{k}", _("Topik: %(name)s") % {"name": v}, NUMBER) for k, v in topics.items()],
        ("consultations.inside_service_hours", _("Masuk di dalam jam pelayanan"), NUMBER),
        ("consultations.outside_service_hours", _("Masuk di luar jam pelayanan"), NUMBER),
        ("consultations.visitors", _("Pengguna layanan"), NUMBER),
        ("consultations.new_visitors", _("Pengguna baru"), NUMBER),
        ("consultations.returning_visitors", _("Pengguna kembali"), NUMBER),
    ]
    arrival = [
        *[(f"consultations.by_weekday.{k}", v, NUMBER) for k, v in _weekday_names().items()],
        *[(f"consultations.by_hour.{h}", _("Pukul %(hour)02d.00") % {"hour": h}, NUMBER) for h in range(24)],
    ]
    sla = [
        ("sla.first_response.count", _("Konsultasi dengan respons pertama"), NUMBER),
        ("sla.first_response.without_response", _("Belum ada respons pertama"), NUMBER),
        ("sla.first_response.median_minutes", _("Median respons pertama (menit kerja)"), NUMBER),
        ("sla.first_response.p90_minutes", _("Persentil 90 respons pertama (menit kerja)"), NUMBER),
        ("sla.first_response.mean_minutes", _("Rata-rata respons pertama (menit kerja)"), NUMBER),
        ("sla.first_response.within_target", _("Respons pertama sesuai target"), NUMBER),
        ("sla.first_response.within_target_share", _("Persentase respons pertama sesuai target"), PERCENT),
        ("sla.days_to_answer.mean", _("Rata-rata hari kerja sampai dijawab"), NUMBER),
        ("sla.days_to_answer.median", _("Median hari kerja sampai dijawab"), NUMBER),
        ("sla.started", _("Konsultasi dengan batas waktu"), NUMBER),
        ("sla.answered", _("Dijawab"), NUMBER),
        ("sla.decided", _("Sudah dijawab atau lewat batas waktu"), NUMBER),
        ("sla.pending", _("Masih dalam batas waktu"), NUMBER),
        ("sla.within_standard", _("Dijawab sesuai standar"), NUMBER),
        ("sla.within_standard_share", _("Persentase sesuai standar"), PERCENT),
        ("sla.breaches.total", _("Pelanggaran batas waktu"), NUMBER),
        *[(f"sla.breaches.{k.value}", str(k.label), NUMBER) for k in BreachKind],
    ]
    ratings = [
        ("ratings.count", _("Jumlah penilaian"), NUMBER),
        ("ratings.mean", _("Rata-rata nilai (1–5)"), NUMBER),
        *[(f"ratings.distribution.{s}", _("Nilai %(score)s") % {"score": s}, NUMBER) for s in "12345"],
        ("ratings.response_rate", _("Tingkat respons penilaian"), PERCENT),
        *[
            (f"ratings.by_channel.{k}.response_rate", _("Tingkat respons: %(name)s") % {"name": v}, PERCENT)
            for k, v in channels.items()
        ],
        ("ratings.with_feedback", _("Penilaian dengan umpan balik"), NUMBER),
        ("ratings.integrity.gratuity", _("Petugas meminta/menerima imbalan"), NUMBER),
        ("ratings.integrity.illegal_fee", _("Ada pungutan liar"), NUMBER),
    ]
    complaints = [
        ("complaints.received", _("Pengaduan, saran, masukan diterima"), NUMBER),
        *[(f"complaints.by_kind.{k.value}", str(k.label), NUMBER) for k in ComplaintKind],
        *[
            (f"complaints.by_source.{k.value}", _("Sumber: %(name)s") % {"name": k.label}, NUMBER)
            for k in ComplaintSource
        ],
        *[
            (f"complaints.by_status.{k.value}", _("Status: %(name)s") % {"name": k.label}, NUMBER)
            for k in ComplaintStatus
        ],
        ("complaints.upheld", _("Pengaduan beralasan"), NUMBER),
        ("complaints.not_upheld", _("Pengaduan tidak beralasan"), NUMBER),
        ("complaints.median_follow_up_hours", _("Median waktu tindak lanjut (jam)"), NUMBER),
        ("complaints.compensation.opened", _("Kasus kompensasi dibuka"), NUMBER),
        ("complaints.compensation.decided", _("Kasus kompensasi diputuskan"), NUMBER),
        ("complaints.compensation.granted", _("Kompensasi diberikan"), NUMBER),
        ("complaints.compensation.declined", _("Kompensasi ditolak"), NUMBER),
    ]
    return {
        "konsultasi": consultations,
        "kedatangan": arrival,
        "ketepatan_waktu": sla,
        "penilaian": ratings,
        "pengaduan": complaints,
    }


def build_tables(report: dict[str, Any]) -> list[Table]:
    """Every table of the report, in reading order."""
    comparison = [_("Periode ini"), _("Periode sebelumnya"), _("Tahun lalu")]
    titles = {
        "konsultasi": _("Volume konsultasi"),
        "kedatangan": _("Hari dan jam kedatangan"),
        "ketepatan_waktu": _("Ketepatan waktu"),
        "penilaian": _("Kualitas: penilaian"),
        "pengaduan": _("Pengaduan dan kompensasi"),
    }
    tables: list[Table] = []
    for slug, rows in figure_rows(report).items():
        table = Table(
            slug=slug,
            title=titles[slug],
            headers=[_("Kunci"), _("Ukuran"), *comparison],
            kinds=["text", "text", NUMBER, NUMBER, NUMBER],
        )
        for key, label, kind in rows:
            values = [_get(report, key), _get(report["previous"], key), _get(report["year_earlier"], key)]
            table.rows.append([key, label, *values])
            table.keys.append(key)
            table.row_kinds.append(kind)
        tables.append(table)
    tables.append(visitor_table(report))
    tables.append(officer_table(report))
    tables.append(feedback_table(report))
    tables.append(case_table(report))
    if report.get("by_office"):
        tables.append(office_table(report))
    if isinstance(report.get("skm"), dict):
        tables.append(skm_table(report["skm"]))
    tables.extend(supervision_tables(report))
    return tables


def visitor_table(report: dict[str, Any]) -> Table:
    labels = code_labels()
    names = {
        "sex": _("Jenis kelamin"),
        "age_group": _("Kelompok umur"),
        "education": _("Pendidikan"),
        "occupation": _("Pekerjaan"),
        "institution_category": _("Kategori instansi"),
        "purpose": _("Tujuan penggunaan"),
        "disability": _("Disabilitas"),
    }
    table = Table(
        slug="pengguna",
        title=_("Siapa yang berkonsultasi"),
        headers=[_("Daftar"), _("Kode"), _("Keterangan"), _("Jumlah"), _("Persentase")],
        kinds=["text", "text", "text", NUMBER, PERCENT],
    )
    visitors = report["visitors"]
    for name in (*GUESTBOOK_FIELDS, "disability"):
        for code, figure in visitors.get(name, {}).items():
            if name == "disability":
                label = _("Ya") if code == "yes" else _("Tidak")
            else:
                label = labels.get(name, {}).get(code, code)
            table.rows.append([names[name], code, label, figure["count"], figure["share"]])
    table.rows.append([_("Tanpa buku tamu"), "", "", visitors["unknown"], None])
    return table


def officer_table(report: dict[str, Any]) -> Table:
    table = Table(
        slug="petugas",
        title=_("Kinerja petugas"),
        headers=[
            _("Petugas"),
            _("Ditangani"),
            _("Median respons pertama (menit kerja)"),
            _("Tepat waktu"),
            _("Persentase tepat waktu"),
            _("Jumlah penilaian"),
            _("Rata-rata nilai"),
        ],
        kinds=["text", NUMBER, NUMBER, NUMBER, PERCENT, NUMBER, NUMBER],
    )
    for row in report.get("officers", []):
        table.rows.append(
            [
                row["name"],
                row["handled"],
                row["median_first_response_minutes"],
                row["on_time"],
                row["on_time_share"],
                row["ratings"],
                row["rating_mean"],
            ]
        )
    return table


def feedback_table(report: dict[str, Any]) -> Table:
    table = Table(
        slug="umpan_balik",
        title=_("Kutipan umpan balik"),
        headers=[_("Konsultasi"), _("Nilai"), _("Umpan balik")],
        kinds=["text", NUMBER, "text"],
    )
    for row in report["ratings"].get("feedback", []):
        table.rows.append([f"PST#{row['consultation']}", row["score"], row["text"]])
    return table


def case_table(report: dict[str, Any]) -> Table:
    """Consultations behind the breaches and the integrity answers, with what was done (compensation)."""
    table = Table(
        slug="kasus",
        title=_("Pelanggaran dan jawaban integritas"),
        headers=[_("Konsultasi"), _("Jenis"), _("Kompensasi")],
        kinds=["text", "text", "text"],
    )
    for pk in report["sla"]["breaches"].get("consultations", []):
        table.rows.append([f"PST#{pk}", _("Pelanggaran batas waktu"), ""])
    for case in report["ratings"]["integrity"].get("cases", []):
        kinds = [
            text for flag, text in ((case["gratuity"], _("imbalan")), (case["illegal_fee"], _("pungutan liar"))) if flag
        ]
        table.rows.append([f"PST#{case['consultation']}", ", ".join(kinds), case["compensation"] or _("belum ada")])
    return table


def office_table(report: dict[str, Any]) -> Table:
    table = Table(
        slug="kantor",
        title=_("Per kantor"),
        headers=[
            _("Kode"),
            _("Kantor"),
            _("Konsultasi masuk"),
            _("Ditutup"),
            _("Sesuai standar"),
            _("Persentase sesuai standar"),
            _("Jumlah penilaian"),
            _("Rata-rata nilai"),
            _("Pengaduan"),
        ],
        kinds=["text", "text", NUMBER, NUMBER, NUMBER, PERCENT, NUMBER, NUMBER, NUMBER],
    )
    for row in report["by_office"]:
        table.rows.append(
            [
                row["code"],
                row["name"],
                row["opened"],
                row["closed"],
                row["within_standard"],
                row["within_standard_share"],
                row["ratings"],
                row["rating_mean"],
                row["complaints"],
            ]
        )
    return table


def skm_table(skm: dict[str, Any]) -> Table:
    """The SKM/IKM section, whatever its figures: flattened to key/value rows."""
    table = Table(slug="skm", title=_("Survei Kepuasan Masyarakat (SKM/IKM)"), headers=[_("Kunci"), _("Nilai")])
    table.kinds = ["text", NUMBER]

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, int | float) or value is None:
            table.rows.append([f"skm.{prefix}", value])

    walk("", skm)
    return table


def definitions() -> list[tuple[str, str]]:
    """(term, definition) of the report's figures, for the definitions sheet and docs."""
    return [
        (_("Periode"), _("Hari pertama sampai hari terakhir, dalam zona waktu kantor.")),
        (
            _("Konsultasi masuk"),
            _("Konsultasi yang kontak pertamanya jatuh dalam periode; dasar volume, ketepatan waktu dan petugas."),
        ),
        (_("Konsultasi ditutup"), _("Konsultasi yang ditutup dalam periode.")),
        (_("Pengguna baru / kembali"), _("Kembali: pernah berkonsultasi dengan kantor yang sama sebelum periode.")),
        (
            _("Siapa yang berkonsultasi"),
            _("Setiap pengguna dihitung sekali per periode, menurut buku tamu terbarunya."),
        ),
        (
            _("Menit kerja"),
            _(
                "Menit di dalam jam pelayanan pada hari kerja "
                "(tanpa libur nasional, cuti bersama dan hari libur kantor)."
            ),
        ),
        (
            _("Respons pertama"),
            _("Dari kontak pertama sampai balasan pertama petugas; target dari standar pelayanan kantor."),
        ),
        (_("Hari kerja sampai dijawab"), _("Hari kerja dari mulai jam SLA (hari ke-0) sampai jawaban diberikan.")),
        (
            _("Sesuai standar"),
            _(
                "Dijawab paling lambat pada batas waktu (N hari kerja); "
                "persentase dari yang sudah dijawab atau sudah lewat batas waktu."
            ),
        ),
        (_("Tingkat respons penilaian"), _("Konsultasi yang dijawab dan dinilai, dibagi konsultasi yang dijawab.")),
        (_("Penilaian, pengaduan, kompensasi"), _("Dihitung menurut waktu dicatat dalam periode.")),
        (_("Nilai kosong"), _("Tidak ada data untuk dibagi (misalnya periode tanpa konsultasi).")),
    ]
