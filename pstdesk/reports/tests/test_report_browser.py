"""The report page in a real browser: a province supervisor chooses an office and a period, reads the figures,
follows a figure to its consultations, and downloads the PDF."""

from __future__ import annotations

import pytest

from pstdesk.reports.tests.month import build_month
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_province_supervisor_reads_and_drills_down(
    asgi_server, browser_page, supervisor_5100, officer_5102, officer2_5102
):
    month = build_month(officer_5102, officer2_5102)
    page = browser_page
    login(page, asgi_server, supervisor_5100)
    page.goto(asgi_server.url + "/laporan/?office=5100&subtree=1&period=2026-11")
    assert "5100 BPS Provinsi Bali" in page.locator("#report-heading").inner_text()
    assert page.locator("#card-opened .value").inner_text() == "5"
    assert page.locator("#table-kantor").is_visible()
    page.screenshot(path="/tmp/reports-page.png", full_page=False)
    # Choose Tabanan alone, for November 2026, with the form.
    page.select_option("#office", "5102")
    page.uncheck("input[name=subtree]")
    page.fill("#period", "2026-11")
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/laporan/?office=5102*")
    assert "5102 BPS Kabupaten Tabanan" in page.locator("#report-heading").inner_text()
    assert page.locator("#table-kantor").count() == 0
    # A figure leads to the consultations behind it.
    page.click("#channel-bars a[href*='channel:whatsapp']")
    page.wait_for_url("**/laporan/konsultasi/**")
    ids = page.locator("#drill-table tbody tr").evaluate_all("rows => rows.map(r => Number(r.dataset.consultation))")
    assert ids == [month.c[1].pk, month.c[5].pk]
    page.go_back()
    with page.expect_download() as download:
        page.click("a[data-format=pdf]")
    assert download.value.suggested_filename == "laporan-5102-2026-11.pdf"
