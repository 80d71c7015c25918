"""The library in a real browser: an administrator's upload refused with its reason, then accepted; an officer
sends a stamped copy from the console and the reply with its link appears in the transcript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pstdesk.consultations.models import Consultation
from pstdesk.consultations.tests.conftest import fake_adapter  # noqa: F401
from pstdesk.guestbook.models import Visitor
from pstdesk.library.models import Delivery
from pstdesk.library.tests.conftest import encrypted_pdf, make_pdf
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_then_send_from_the_console(asgi_server, browser_page, admin_5102, officer_5102, fake_adapter, tmp_path):  # noqa: F811
    page = browser_page
    bad, good = tmp_path / "rahasia.pdf", tmp_path / "tabanan-dalam-angka.pdf"
    bad.write_bytes(encrypted_pdf())
    good.write_bytes(make_pdf(2))

    login(page, asgi_server, admin_5102)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/console/pustaka/")
    page.fill('input[name="title"]', "Tabanan Dalam Angka 2026")
    page.fill('input[name="year"]', "2026")
    page.fill('input[name="subject"]', "Umum")
    page.set_input_files('input[name="file"]', str(bad))
    page.click("#library-upload button[type=submit]")
    expect(page.locator("#library-error")).to_contain_text("terenkripsi")
    expect(page.locator('input[name="title"]')).to_have_value("Tabanan Dalam Angka 2026")
    page.set_input_files('input[name="file"]', str(good))
    page.click("#library-upload button[type=submit]")
    expect(page.locator("#library-added")).to_be_visible()
    expect(page.locator("#library-publications")).to_contain_text("Tabanan Dalam Angka 2026")
    page.screenshot(path="/tmp/library-manage-1280x800.png", full_page=True)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.screenshot(path="/tmp/library-manage-768x1024.png", full_page=True)

    page.context.clear_cookies()
    visitor = Visitor.objects.create(name="Ni Luh Ayu", email="ayu@example.test", whatsapp="+6281234500002")
    consultation = Consultation.objects.create(
        office_id="5102", visitor=visitor, channel="whatsapp", status="open", assigned_to=officer_5102
    )
    login(page, asgi_server, officer_5102)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/console/{consultation.pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    page.select_option("#library-publication", label="Tabanan Dalam Angka 2026 (2026) — Umum")
    page.click("#library-send")
    expect(page.locator("#library-status")).to_contain_text("terkirim")
    reply = page.locator("#transcript li.msg-out", has_text="/pustaka/salinan/")
    expect(reply).to_have_count(1)
    expect(reply).to_contain_text("Tabanan Dalam Angka 2026")
    page.screenshot(path="/tmp/library-panel-1280x800.png", full_page=True)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.screenshot(path="/tmp/library-panel-768x1024.png", full_page=True)
    assert Delivery.objects.get().consultation_id == consultation.pk

    page.goto("/console/pustaka/log/")
    expect(page.locator("#library-log")).to_contain_text("Ni Luh Ayu")
    expect(page.locator("#library-top")).to_contain_text("Tabanan Dalam Angka 2026")
    page.screenshot(path="/tmp/library-log-768x1024.png", full_page=True)
    assert page.js_errors == []
