from __future__ import annotations

import pytest
from django.test import Client

from pstdesk.lib.actors import SystemActor
from pstdesk.offices.actions import revise_standard
from pstdesk.offices.models import Office
from pstdesk.offices.presentation import hours_rows, zone_abbreviation

pytestmark = pytest.mark.django_db


def test_zone_abbreviations() -> None:
    assert zone_abbreviation("Asia/Makassar") == "WITA"
    assert zone_abbreviation("Asia/Jakarta") == "WIB"
    assert zone_abbreviation("Asia/Jayapura") == "WIT"
    assert zone_abbreviation("Europe/Paris") == "Europe/Paris"


def test_hours_are_grouped_by_day() -> None:
    office = Office.objects.get(code="5102")
    assert office.standard is not None
    rows = [(r.days, r.text) for r in hours_rows(office.standard.service_hours, "Asia/Makassar")]
    assert rows == [("Senin–Kamis", "08.00–16.00 WITA"), ("Jumat", "08.00–16.30 WITA"), ("Sabtu–Minggu", "Tutup")]
    assert hours_rows(office.standard.service_hours, "Asia/Jayapura")[0].text == "08.00–16.00 WIT"


def test_home_lists_offices_channels_and_links(client: Client) -> None:
    body = client.get("/").content.decode()
    assert "BPS Kabupaten Tabanan" in body and "BPS Kabupaten Jembrana" in body
    assert 'href="/standar/5102/"' in body and 'href="/standar/5101/"' in body
    assert 'href="/pfa/5102/"' in body and 'href="/pfa/5101/"' not in body  # only Tabanan offers PFA
    assert "https://wa.me/6285173215102" in body and "https://wa.me/6282122115101" in body
    assert "mailto:bps5101@bps.go.id" in body


def test_tabanan_standard_page_in_indonesian(client: Client) -> None:
    response = client.get("/standar/5102/")
    assert response.status_code == 200
    assert response["Content-Language"] == "id"
    body = response.content.decode()
    assert '<html lang="id">' in body
    for text in [
        "Senin–Kamis",
        "08.00–16.00 WITA",
        "Jumat",
        "08.00–16.30 WITA",
        "3 hari kerja",
        "Tidak dipungut biaya",
        "Kotak saran &amp; pengaduan pada unit PST BPS Kabupaten Tabanan",
        "www.lapor.go.id",
        "webapps.bps.go.id/pengaduan",
        "s.bps.go.id/pengaduan5102",
        "085173215102",
        "0361811571",
        "Minimal 2 orang.",
        "Jasa konsultasi informasi (data/metadata/klasifikasi) statistik",
        "Pelayanan dilaksanakan secara akuntabel dan transparan.",
        "File pustaka softcopy berwatermark",
    ]:
        assert text in body, text
    assert body.count("<li>Undang-Undang Nomor") == 3
    assert body.count("Lembaran Negara Republik Indonesia Tahun") + body.count("Berita Negara Republik") == 8
    # Tabanan: rate, then close, on every channel
    for channel in ["whatsapp", "livechat_website", "livechat_pfa"]:
        section = body.split(f'id="procedure-{channel}"')[1].split("</section>")[0]
        assert section.index('data-action="rate"') < section.index('data-action="close"')
    assert "Tidak dinyatakan dalam standar." not in body


def test_jembrana_standard_page(client: Client) -> None:
    body = client.get("/standar/5101/").content.decode()
    for text in [
        "Senin–Jumat",
        "08.00–15.30 WITA",
        "bps5101@bps.go.id",
        "0821-2211-5101",
        "0365-41132",
        "s.bps.go.id/LayananPST5101",
        "Prosedur pelayanan melalui E-mail",
        "memperkenalkan diri (nama dan instansi/universitas)",
        "Penutupan, lalu penilaian",
    ]:
        assert text in body, text
    for channel in ["whatsapp", "email"]:
        section = body.split(f'id="procedure-{channel}"')[1].split("</section>")[0]
        assert section.index('data-action="close"') < section.index('data-action="rate"')
    email = body.split('id="procedure-email"')[1].split("</section>")[0]
    assert email.index('data-action="introduce"') < email.index('data-action="answer"')
    # Components the Jembrana document does not state are said to be absent, not invented.
    assert body.count("Tidak dinyatakan dalam standar.") == 8
    assert "Undang-Undang" not in body


def test_english_switch(client: Client) -> None:
    response = client.get("/standar/5102/?lang=en")
    assert response["Content-Language"] == "en"
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Monday–Thursday" in body and "08.00–16.00 WITA" in body
    assert "Free of charge" in body
    assert "Law No. 16 of 1997 on Statistics" in body
    assert "At least 2 officers." in body
    assert "Tidak dipungut biaya" not in body
    # The language cookie set by Django's set_language works too.
    client.post("/i18n/setlang/", {"language": "en", "next": "/standar/5101/"})
    body = client.get("/standar/5101/").content.decode()
    assert "Not stated in the standard." in body and "Closing, then rating" in body


def test_browser_language_does_not_switch_the_standard(client: Client) -> None:
    response = client.get("/standar/5102/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "id" and "Tidak dipungut biaya" in response.content.decode()
    assert "Konsultasi statistik online" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_old_versions_stay_readable(client: Client) -> None:
    office = Office.objects.get(code="5102")
    revise_standard(office, by=SystemActor("test"), changes={"sla_working_days": 2}, note="uji")
    assert "2 hari kerja" in client.get("/standar/5102/").content.decode()
    old = client.get("/standar/5102/?version=1").content.decode()
    assert "3 hari kerja" in old and "Ini bukan versi yang berlaku." in old
    assert client.get("/standar/5102/?version=9").status_code == 404
    assert client.get("/standar/5102/?version=x").status_code == 404


def test_unknown_office_is_404(client: Client) -> None:
    assert client.get("/standar/9999/").status_code == 404
    assert client.get("/standar/5100/").status_code == 404  # the province publishes no standard here


def test_print_stylesheet_is_served(client: Client) -> None:
    body = client.get("/standar/5102/").content.decode()
    assert "/static/pstdesk/site.css" in body
    css = b"".join(client.get("/static/pstdesk/site.css").streaming_content).decode()  # type: ignore[attr-defined]
    assert "@media print" in css


def test_login_page_uses_the_site_template(client: Client) -> None:
    body = client.get("/accounts/login/").content.decode()
    assert "site.css" in body and 'name="username"' in body and 'name="password"' in body
