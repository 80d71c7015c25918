"""Say only what the standard says (issue 12, item 3, and item 2's requirements list): one test per seed sentence
the desk used to contradict."""

from __future__ import annotations

import datetime
import html
import re
from pathlib import Path

import pytest
from django.test import Client

from pstdesk.accounts.models import User
from pstdesk.consultations.actions import staffing_warning
from pstdesk.offices.actions import revise_standard
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db

# "1. Persyaratan" of each seed document, word for word.
JEMBRANA_REQUIREMENTS = [
    "Pengguna layanan memiliki alamat email yang masih aktif",
    "Pengguna layanan memiliki akun WhatsApp pada perangkat elektronik",
    "Pengguna layanan mengisi data diri pada formulir yang tersedia",
    "Pengguna layanan mengajukan permintaan layanan konsultasi melalui WhatsApp, atau email",
]


def _requirements(body: str) -> list[str]:
    section = body.split('id="requirements"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li class=\"req-[a-z_]+\">(.*?)</li>", section, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def _seed_requirements(code: str) -> list[str]:
    """The items of the "Persyaratan" row of the published document (`offices/seeds/source_<code>.txt`, the seed
    as published), tags removed, split at the item numbers "1. ", "2. ", …"""
    row = next(line for line in (SEEDS / f"source_{code}.txt").read_text().splitlines() if "Persyaratan" in line)
    text = re.sub(r"<[^>]+>", "", row.split("Persyaratan", 1)[1]).strip(" \t|")
    items = []
    number = 1
    while f"{number}. " in text:
        before, text = text.split(f"{number}. ", 1)
        if number > 1:
            items.append(before)
        number += 1
    items.append(text)
    return [re.sub(r"\s+", " ", item).strip(" |") for item in items]


@pytest.mark.parametrize("code", ["5101", "5102"])
def test_requirements_pages_list_exactly_the_seeds_items(client: Client, code: str) -> None:
    seed = _seed_requirements(code)
    assert len(seed) == 4
    assert _requirements(client.get(f"/standar/{code}/").content.decode()) == seed
    with_lang = client.get(f"/standar/{code}/?lang=id").content.decode()
    assert _requirements(with_lang) == seed
    if code == "5102":  # the PST From Anywhere page lists them too (Jembrana has none: 404)
        body = client.get("/pfa/5102/").content.decode()
        section = body.split("<h3>Persyaratan</h3>", 1)[1].split("</ol>", 1)[0]
        items = [html.unescape(i).strip() for i in re.findall(r"<li>(.*?)</li>", section, flags=re.S)]
        assert items == seed


def test_jembrana_page_lists_its_four_requirements_exactly(client: Client) -> None:
    assert _requirements(client.get("/standar/5101/").content.decode()) == JEMBRANA_REQUIREMENTS


def test_tabanan_page_lists_its_four_requirements(client: Client) -> None:
    items = _requirements(client.get("/standar/5102/").content.decode())
    assert len(items) == 4
    assert items[0] == "Pengguna layanan memiliki alamat email yang masih aktif"
    assert "s.bps.go.id/pst5102" in items[3]


def test_pfa_page_lists_the_published_requirements(client: Client) -> None:
    body = client.get("/pfa/5102/").content.decode()
    section = body.split("<h3>Persyaratan</h3>", 1)[1].split("</ol>", 1)[0]
    assert section.count("<li>") == 4


def test_jembrana_banner_claims_no_minimum(office_5101: Office, officer_5101: User) -> None:
    # "Jumlah Pelaksana" is not in Jembrana's standard: one officer on duty is no breach of anything.
    assert staffing_warning(office_5101) is None
    User.objects.filter(pk=officer_5101.pk).update(on_duty=False)
    warning = staffing_warning(office_5101)
    assert warning is not None and "Tidak ada petugas" in warning
    assert "minimal" not in warning and "standar" not in warning


def test_tabanan_banner_names_the_standards_minimum_of_two(office_5102: Office, officer_5102: User) -> None:
    warning = staffing_warning(office_5102)  # one officer on duty
    assert warning is not None and "minimal 2" in warning


def test_deadline_is_the_standards_only_for_the_channels_it_names(client: Client) -> None:
    body = client.get("/standar/5101/").content.decode()
    email = body.split('class="terms-email', 1)[1].split("</li>", 1)[0]
    whatsapp = body.split('class="terms-whatsapp', 1)[1].split("</li>", 1)[0]
    assert "sla-stated" in email and "paling lambat <strong>3 hari kerja</strong>" in email
    assert "sla-office" in whatsapp and "target kantor: 3 hari kerja (pengaturan kantor)" in whatsapp
    assert "paling lambat" not in whatsapp
    tabanan = client.get("/standar/5102/").content.decode()
    assert tabanan.count("sla-stated") == 3 and "sla-office" not in tabanan
    home = client.get("/").content.decode()
    card = home.split('id="office-5101"', 1)[1].split('id="office-5102"', 1)[0]
    assert "target kantor 3 hari kerja (pengaturan kantor)" in card
    assert "paling lambat 3 hari kerja (standar pelayanan)" in card


def test_first_response_target_is_labelled_an_office_target(client: Client) -> None:
    body = client.get("/standar/5101/").content.decode()
    assert "Target respons pertama: 120 menit kerja. Ini target kantor, bukan bagian dari standar pelayanan." in body


def test_effective_date_comes_from_the_standards_data(client: Client, admin_5101: User) -> None:
    body = client.get("/standar/5101/").content.decode()
    assert "tanggal berlaku tidak dinyatakan dalam standar" in body and "berlaku sejak" not in body
    office = Office.objects.get(code="5101")
    revise_standard(office, by=admin_5101, changes={"effective_date": datetime.date(2024, 1, 2)}, note="tanggal")
    body = client.get("/standar/5101/").content.decode()
    assert "Versi 2, berlaku sejak 2 Januari 2024" in body


def test_consultation_contacts_are_office_settings_apart_from_complaint_contacts(client: Client) -> None:
    Office.objects.filter(code="5101").update(whatsapp_number="081200005101")
    home = client.get("/").content.decode()
    assert "https://wa.me/6281200005101" in home  # the consultation number the office set
    standard = client.get("/standar/5101/").content.decode()
    complaints = standard.split('id="complaints"', 1)[1].split("</section>", 1)[0]
    assert "0821-2211-5101" in complaints and "081200005101" not in complaints  # the standard's, unchanged


def test_console_banner_names_a_minimum_only_where_the_standard_states_one(
    client: Client, officer_5101: User, officer_5102: User
) -> None:
    """The banner as the console page renders it (`consultations.console.views.staffing_warnings`)."""
    client.force_login(officer_5101)
    assert "Tidak ada petugas" not in client.get("/console/").content.decode()  # one on duty: no warning
    User.objects.filter(pk=officer_5101.pk).update(on_duty=False)
    page = html.unescape(client.get("/console/").content.decode())
    assert "Tidak ada petugas yang bertugas di BPS Kabupaten Jembrana." in page
    assert "mensyaratkan" not in page and "minimal" not in page and "minimum" not in page
    client.force_login(officer_5102)
    page = html.unescape(client.get("/console/").content.decode())
    assert "hanya 1 orang; standar pelayanan mensyaratkan minimal 2." in page
