"""The console's BPS panel endpoints: search and preview for the consultation's office, clear messages for every
failure of the API, 404 for another office's consultation."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pstdesk.bpsapi.tests.conftest import KEY
from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.models import Visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(office_5102):
    visitor = Visitor.objects.create(name="Made Wirawan")
    return Consultation.objects.create(office=office_5102, visitor=visitor, channel="whatsapp", status="open")


@pytest.fixture
def officer(officer_5102):
    client = Client()
    client.force_login(officer_5102)
    return client


def search(client, consultation, **params):
    return client.get(reverse("bpsapi:search", kwargs={"pk": consultation.pk}), params)


def test_search_the_office_province_and_nation(bps_sim, officer, consultation):
    office = search(officer, consultation, q="padi", scope="office", kind="statictable").json()
    assert office["domain"] == "5102" and office["total"] == 1
    item = office["items"][0]
    assert item["title"].endswith("Tabanan, 2025") and item["previewable"]
    assert item["link"].startswith("https://tabanankab.bps.go.id/")
    province = search(officer, consultation, q="dalam angka", scope="province", kind="publication").json()
    assert province["domain"] == "5100" and province["items"][0]["title"] == "Bali Dalam Angka 2026"
    assert province["items"][0]["link"].endswith(".pdf")
    nation = search(officer, consultation, q="inflasi", scope="nation", kind="pressrelease").json()
    assert nation["domain"] == "0000" and "Indonesia" in nation["items"][0]["title"]


def test_preview_is_plain_table_markup(bps_sim, officer, consultation):
    response = officer.get(reverse("bpsapi:table", kwargs={"pk": consultation.pk}), {"scope": "office", "id": "510202"})
    body = response.json()
    assert response.status_code == 200
    assert body["html"].startswith("<table>") and "<td>Produksi (ton)</td>" in body["html"]
    assert "border" not in body["html"]  # attributes other than colspan/rowspan are dropped
    missing = officer.get(reverse("bpsapi:table", kwargs={"pk": consultation.pk}), {"scope": "office", "id": "1"})
    assert missing.status_code == 404 and "not-available" in missing.json()["error"]


def test_bad_queries_get_a_sentence(bps_sim, officer, consultation):
    for params, status in [({"q": "  "}, 400), ({"q": "x" * 1000}, 400), ({"q": "padi", "scope": "mars"}, 400)]:
        response = search(officer, consultation, **params)
        assert response.status_code == status and response.json()["error"]
    assert bps_sim.requests == []  # refused before asking the API


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [("error", 502, "error"), ("garbage", 502, "error"), ("slow", 504, "timeout")],
)
def test_api_failures_answer_a_message(bps_sim, settings, officer, consultation, mode, status, code):
    settings.BPS_API_TIMEOUT_MS = 200
    bps_sim.set_mode(mode, delay=1.0)
    response = search(officer, consultation, q="padi")
    assert response.status_code == status
    assert response.json()["code"] == code and "Web API BPS" in response.json()["error"]
    assert KEY not in response.content.decode()


def test_list_not_available_is_a_message_not_an_error(bps_sim, officer, consultation):
    bps_sim.set_mode("list-not-available")
    body = search(officer, consultation, q="padi").json()
    assert body["ok"] and not body["available"] and body["items"] == []
    assert "list-not-available" in body["message"]


def test_other_office_and_anonymous(bps_sim, officer_5101, consultation):
    outsider = Client()
    outsider.force_login(officer_5101)
    assert search(outsider, consultation, q="padi").status_code == 404
    assert search(Client(), consultation, q="padi").status_code == 302
    assert bps_sim.requests == []


def test_console_page_carries_the_panel_without_the_key(bps_sim, officer, consultation):
    page = officer.get(reverse("console:consultation", kwargs={"pk": consultation.pk})).content.decode()
    assert 'id="bps-panel"' in page and 'id="library-panel"' in page
    assert KEY not in page
