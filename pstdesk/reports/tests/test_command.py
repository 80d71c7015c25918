"""`pstdesk report`: the JSON of the hand-counted month, every file format, the rows export, and one-line refusals
with exit status 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook
from pypdf import PdfReader

from pstdesk.offices.models import Office
from pstdesk.reports.exports import render
from pstdesk.reports.figures import build_report
from pstdesk.reports.periods import parse_period
from pstdesk.reports.tests.month import NOW, build_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(officer_5102, officer2_5102):
    return build_month(officer_5102, officer2_5102)


def run(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / ("out." + args[args.index("--format") + 1])
    with time_machine.travel(NOW, tick=False):
        call_command("report", *args, "--output", str(out))
    return out


def test_json_has_the_documented_keys_with_the_hand_counted_figures(month, tmp_path):
    data = json.loads(run(tmp_path, "--office", "5102", "--period", "2026-11", "--format", "json").read_text())
    assert data["consultations"]["opened"] == 5
    assert data["consultations"]["by_channel"] == {"whatsapp": 2, "livechat_website": 1, "livechat_pfa": 1, "email": 1}
    assert data["sla"]["within_standard_share"] == 0.6
    assert data["ratings"]["count"] == 3
    assert data["ratings"]["mean"] == 3.67
    assert data["complaints"]["received"] == 2
    # The command's JSON is the report of the figures module, whole.
    expected = build_report(Office.objects.get(code="5102"), parse_period("2026-11"), now=NOW)
    assert data == json.loads(json.dumps(expected | {"generated_at": data["generated_at"]}))


def test_xlsx_cells_are_the_figures_as_numbers(month, tmp_path):
    report = build_report(Office.objects.get(code="5102"), parse_period("2026-11"), now=NOW)
    workbook = load_workbook(run(tmp_path, "--office", "5102", "--period", "2026-11", "--format", "xlsx"))
    assert {"konsultasi", "kedatangan", "ketepatan_waktu", "penilaian", "pengaduan", "pengguna", "petugas"} <= set(
        workbook.sheetnames
    )
    assert "definisi" in workbook.sheetnames
    checked = 0
    for name in ("konsultasi", "kedatangan", "ketepatan_waktu", "penilaian", "pengaduan"):
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2"
        assert [cell.value for cell in sheet[1]][:2] == ["Kunci", "Ukuran"]
        for key, _label, current, previous, earlier in sheet.iter_rows(min_row=2, values_only=True):
            expected = [report, report["previous"], report["year_earlier"]]
            for value, source in zip((current, previous, earlier), expected, strict=True):
                for part in key.split("."):
                    source = source[part]
                assert value == source, key
                assert value is None or isinstance(value, int | float), key
                checked += 1
    assert checked > 200
    cells = {row[0]: row[2] for row in workbook["konsultasi"].iter_rows(min_row=2, values_only=True)}
    assert cells["consultations.opened"] == 5 and cells["consultations.by_channel.whatsapp"] == 2
    sla = {row[0].value: row for row in workbook["ketepatan_waktu"].iter_rows(min_row=2)}
    assert sla["sla.within_standard_share"][2].value == 0.6
    assert sla["sla.within_standard_share"][2].number_format == "0.0%"
    assert sla["sla.first_response.median_minutes"][2].value == 45
    officers = list(workbook["petugas"].iter_rows(min_row=2, values_only=True))
    assert officers == [("ayu", 3, 30, 2, 0.6667, 2, 3.5), ("made", 1, 60, 1, 1, 1, 4)]


def test_csv_zip_has_one_table_per_file_with_a_header(month, tmp_path):
    archive = zipfile.ZipFile(run(tmp_path, "--office", "5102", "--period", "2026-11", "--format", "csv"))
    names = archive.namelist()
    assert "konsultasi.csv" in names and "petugas.csv" in names and "pengaduan.csv" in names
    for name in names:
        rows = list(csv.reader(io.StringIO(archive.read(name).decode())))
        assert rows and rows[0][0], name
    consultations = {row[0]: row for row in csv.reader(io.StringIO(archive.read("konsultasi.csv").decode()))}
    assert consultations["Kunci"][:3] == ["Kunci", "Ukuran", "Periode ini"]
    assert consultations["consultations.opened"][2:] == ["5", "1", "1"]


def test_pdf_opens_with_office_period_indonesian_numbers_and_page_numbers(month, tmp_path):
    reader = PdfReader(run(tmp_path, "--office", "5102", "--period", "2026-11", "--format", "pdf"))
    assert reader.pages[0].mediabox.width == pytest.approx(595.27, abs=0.5)  # A4
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Laporan evaluasi kinerja pelayanan" in text
    assert "5102" in text and "November 2026" in text
    assert "Halaman 1" in text and f"Halaman {len(reader.pages)}" in text
    assert "60,0%" in text  # within the standard, Indonesian decimal comma
    assert "3,67" in text  # mean rating
    assert "10 Desember 2026" in text


def test_rows_export(month, tmp_path):
    rows = list(
        csv.reader(
            io.StringIO(
                run(tmp_path, "--office", "5102", "--period", "2026-11", "--format", "csv", "--rows").read_text()
            )
        )
    )
    assert rows[0][:4] == ["konsultasi", "kantor", "kanal", "topik"]
    assert len(rows) == 6
    c3 = next(row for row in rows if row[0] == str(month.c[3].pk))
    header = rows[0]
    assert c3[header.index("menit_kerja_respons_pertama")] == "90.0"
    assert c3[header.index("hari_kerja_sampai_dijawab")] == "4"
    assert c3[header.index("sesuai_standar")] == "False"
    assert c3[header.index("nilai")] == "2"
    assert c3[header.index("pelanggaran")] == "1"
    assert c3[header.index("kompensasi")] == "open"
    workbook = load_workbook(run(tmp_path, "--office", "5102", "--period", "2026-11", "--format", "xlsx", "--rows"))
    sheet = workbook["konsultasi"]
    assert sheet.max_row == 6
    assert [cell.value for cell in sheet[1]] == rows[0]


def test_empty_period_is_a_report_of_zeros(db, tmp_path):
    data = json.loads(
        run(
            tmp_path,
            "--office",
            "5101",
            "--period",
            "2019-01..2019-01-31".replace("2019-01..", "2019-01-01.."),
            "--format",
            "json",
        ).read_text()
    )
    assert data["consultations"]["opened"] == 0
    assert data["complaints"]["received"] == 0
    for fmt in ("csv", "xlsx", "pdf"):
        assert render(data, fmt)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--office", "9999", "--period", "2026-11"], "unknown office '9999'"),
        (["--office", "5102", "--period", "2026-13"], "bad period '2026-13'"),
        (["--office", "5102", "--period", "2026-11", "--format", "docx"], "unknown format 'docx'"),
        (["--office", "5102", "--period", "2026-11", "--format", "pdf", "--rows"], "unknown format 'pdf'"),
    ],
)
def test_refusals_exit_2_with_one_line(db, args, message):
    with pytest.raises(CommandError) as refused:
        call_command("report", *args)
    assert refused.value.returncode == 2
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_console_script_exits_2_with_one_line(db):
    result = subprocess.run(
        [sys.executable, "-m", "pstdesk.cli", "report", "--office", "5102", "--period", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "bad period 'nope'" in result.stderr
