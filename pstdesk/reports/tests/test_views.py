"""The /laporan/ pages: office isolation (404 for another office's reports and files), the subtree total, the
drill-down, downloads, and "Kinerja saya" for officers."""

from __future__ import annotations

import csv
import io
import json

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.test import Client

from pstdesk.accounts.models import Role
from pstdesk.conftest import make_user
from pstdesk.reports.models import ReportSnapshot
from pstdesk.reports.tests.month import NOW, build_month

pytestmark = pytest.mark.django_db

Q5102 = "office=5102&period=2026-11"


@pytest.fixture
def month(officer_5102, officer2_5102):
    return build_month(officer_5102, officer2_5102)


@pytest.fixture
def supervisor_5101(db):
    return make_user("sup5101", "5101", Role.SUPERVISOR)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def snapshot_of(code: str) -> ReportSnapshot:
    snapshot = ReportSnapshot.objects.create(
        office_id=code,
        kind="monthly",
        period_start="2026-11-01",
        period_end="2026-11-30",
        version=1,
        figures={"office": {"code": code}, "period": {"key": "2026-11"}},
    )
    snapshot.pdf.save("r.pdf", ContentFile(b"%PDF-1.4 test"))
    return snapshot


def test_a_5101_supervisor_gets_404_for_5102_reports_and_files(month, supervisor_5101):
    client = client_for(supervisor_5101)
    for url in (
        f"/laporan/?{Q5102}",
        f"/laporan/unduh.pdf?{Q5102}",
        f"/laporan/unduh.json?{Q5102}",
        f"/laporan/baris.csv?{Q5102}",
        f"/laporan/konsultasi/?{Q5102}&figure=opened",
        "/laporan/?office=5100&subtree=1&period=2026-11",
        f"/laporan/arsip/{snapshot_of('5102').pk}.pdf",
    ):
        assert client.get(url).status_code == 404, url
    own = client.get("/laporan/?office=5101&period=2026-11")
    assert own.status_code == 200
    assert own.context["report"]["consultations"]["opened"] == 0
    archive = client.get("/laporan/arsip/")
    assert archive.status_code == 200 and archive.context["snapshots"].count() == 0


def test_the_province_sees_both_regencies_and_the_total(month, supervisor_5100):
    client = client_for(supervisor_5100)
    page = client.get("/laporan/?office=5100&subtree=1&period=2026-11")
    assert page.status_code == 200
    report = page.context["report"]
    assert report["consultations"]["opened"] == 5
    assert {row["code"]: row["opened"] for row in report["by_office"]} == {"5100": 0, "5101": 0, "5102": 5}
    assert "Per kantor" in page.content.decode()
    for code in ("5101", "5102"):
        assert client.get(f"/laporan/?office={code}&period=2026-11").status_code == 200
    data = json.loads(client.get("/laporan/unduh.json?office=5100&subtree=1&period=2026-11").content)
    assert data["offices"] == ["5100", "5101", "5102"] and data["sla"]["within_standard_share"] == 0.6
    assert client.get(f"/laporan/arsip/{snapshot_of('5102').pk}.pdf").content == b"%PDF-1.4 test"


def test_page_downloads_and_drill_down(month, supervisor_5102):
    client = client_for(supervisor_5102)
    page = client.get(f"/laporan/?{Q5102}").content.decode()
    assert "November 2026" in page and "60%" in page
    assert "/laporan/konsultasi/?office=5102&amp;period=2026-11&figure=channel:whatsapp" in page
    drill = client.get(f"/laporan/konsultasi/?{Q5102}&figure=channel:whatsapp")
    assert [c.pk for c in drill.context["consultations"]] == [month.c[1].pk, month.c[5].pk]
    late = client.get(f"/laporan/konsultasi/?{Q5102}&figure=late")
    assert [c.pk for c in late.context["consultations"]] == [month.c[3].pk, month.c[4].pk]
    assert f"/console/{month.c[3].pk}/" in late.content.decode()
    assert client.get(f"/laporan/konsultasi/?{Q5102}&figure=nonsense").status_code == 404
    pdf = client.get(f"/laporan/unduh.pdf?{Q5102}")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert 'filename="laporan-5102-2026-11.pdf"' in pdf["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(client.get(f"/laporan/baris.csv?{Q5102}").content.decode())))
    assert len(rows) == 6
    assert client.get(f"/laporan/unduh.docx?{Q5102}").status_code == 404
    assert client.get("/laporan/?office=5102&period=2026-13").status_code == 404


def test_officers_see_only_their_own_row(month, officer_5102):
    client = client_for(officer_5102)
    assert client.get(f"/laporan/?{Q5102}").url == "/laporan/saya/"
    assert client.get(f"/laporan/unduh.pdf?{Q5102}").status_code == 404
    assert client.get(f"/laporan/konsultasi/?{Q5102}").status_code == 404
    assert client.get("/laporan/arsip/").status_code == 404
    page = client.get("/laporan/saya/?period=2026-11")
    body = page.content.decode()
    assert page.status_code == 200 and "Kinerja saya" in body
    assert page.context["row"]["handled"] == 3 and page.context["row"]["username"] == "ayu"
    assert "made" not in body


def test_anonymous_is_sent_to_log_in(db):
    response = Client().get("/laporan/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
