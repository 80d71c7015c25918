"""The BPS data panel in a real browser against the simulator: search, preview, pick a figure, insert into the
reply; errors, list-not-available and a slow API give a message in the panel while the reply box keeps working."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pstdesk.consultations.models import Consultation
from pstdesk.consultations.tests.conftest import fake_adapter  # noqa: F401
from pstdesk.guestbook.models import Visitor
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401
from pstdesk.testing.identities import make_visitor

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_preview_insert_and_failures(asgi_server, browser_page, officer_5102, bps_sim, settings, fake_adapter):  # noqa: F811
    page = browser_page
    visitor = make_visitor(name="Made Wirawan", whatsapp="+6281234500001", wa_id="6281234500001")
    consultation = Consultation.objects.create(
        office_id="5102", visitor=visitor, channel="whatsapp", status="open", assigned_to=officer_5102
    )
    login(page, asgi_server, officer_5102)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/console/{consultation.pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")

    # search the office's domain, preview a table, pick a figure, insert it
    page.fill("#bps-q", "padi")
    page.click("#bps-search")
    result = page.locator("#bps-results li", has_text="Produktivitas Padi")
    expect(result).to_have_count(1)
    result.get_by_role("button", name="Pratinjau").click()
    expect(page.locator("#bps-preview")).to_be_visible()
    cell = page.locator("#bps-preview-table tr", has_text="Produksi (ton)").locator("td").nth(2)
    value = cell.inner_text()
    cell.click()
    expect(page.locator("#bps-figure")).to_contain_text(f"Produksi (ton), 2024: {value}")
    page.screenshot(path="/tmp/bps-panel-1280x800.png", full_page=True)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.screenshot(path="/tmp/bps-panel-768x1024.png", full_page=True)
    page.fill("#reply-body", "Data yang Anda minta:")
    page.click("#bps-insert")
    reply = page.locator("#reply-body")
    expect(reply).to_have_value(re.compile(r"Data yang Anda minta:\nLuas Panen, Produksi, dan Produktivitas Padi"))
    expect(reply).to_have_value(re.compile(rf"Produksi \(ton\), 2024: {re.escape(value)}\nSumber: BPS, https://"))

    # a publication of the province goes in as title, date and link
    page.select_option("#bps-scope", "province")
    page.select_option("#bps-kind", "publication")
    page.fill("#bps-q", "dalam angka")
    page.click("#bps-search")
    publication = page.locator("#bps-results li", has_text="Bali Dalam Angka 2026")
    publication.get_by_role("button", name="Sisipkan").click()
    expect(reply).to_have_value(
        re.compile(r"Bali Dalam Angka 2026 \(2026-\d\d-28\)\nhttps://bali\.bps\.go\.id/.*\.pdf")
    )

    # the API fails: a message, and the reply still goes out
    bps_sim.set_mode("error")
    page.fill("#bps-q", "penduduk")
    page.click("#bps-search")
    expect(page.locator("#bps-status")).to_have_attribute("data-level", "error")
    expect(page.locator("#bps-status")).to_contain_text("Web API BPS menjawab dengan galat")

    bps_sim.set_mode("list-not-available")
    page.fill("#bps-q", "kemiskinan")
    page.click("#bps-search")
    expect(page.locator("#bps-status")).to_have_attribute("data-level", "empty")
    expect(page.locator("#bps-status")).to_contain_text("list-not-available")
    expect(page.locator("#bps-results li")).to_have_count(0)

    # slow: while the panel waits, the officer sends the reply
    settings.BPS_API_TIMEOUT_MS = 1500
    bps_sim.set_mode("slow", delay=4.0)
    page.fill("#bps-q", "inflasi")
    page.click("#bps-search")
    expect(page.locator("#bps-status")).to_contain_text("Mencari")
    page.click('#reply-form button[type="submit"]')
    expect(page.locator("#transcript li.msg-out", has_text="Bali Dalam Angka 2026")).to_have_count(1)
    expect(page.locator("#bps-status")).to_contain_text("tidak menjawab tepat waktu", timeout=8000)
    expect(page.locator("#bps-status")).to_have_attribute("data-level", "error")
    page.screenshot(path="/tmp/bps-panel-timeout-768x1024.png", full_page=True)
    assert page.js_errors == []
