"""The transparency page in real headless Chromium: the approved months, the charts, the language switch, and
nothing personal on the page."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from pstdesk.consultations.tests.conftest import fake_adapter  # noqa: F401
from pstdesk.testing.browser import asgi_server, browser_page, use_file_test_database  # noqa: F401
from pstdesk.transparency.tests.test_transparency import ALL, office_5102, served

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_transparency_page_in_the_browser(
    asgi_server: Any,  # noqa: F811
    browser_page: Any,  # noqa: F811
    officer_5102: Any,
    manager_5102: Any,
    fake_adapter: Any,  # noqa: F811
) -> None:
    from pstdesk.transparency.actions import approve_month

    # actions that publish events run in the server's loop (see pstdesk.testing.browser)
    with time_machine.travel("2026-10-14 02:00:00+00:00", tick=False):
        asgi_server.call(served, "5102", officer_5102, skm={**ALL, "u3": 3})
    with time_machine.travel("2026-11-10 02:00:00+00:00", tick=False):
        asgi_server.call(served, "5102", officer_5102, skm=ALL)
        asgi_server.call(served, "5102", officer_5102, channel="email", skm={**ALL, "u1": 2, "u9": 3})
        asgi_server.call(served, "5102", officer_5102)
    with time_machine.travel("2026-12-01 01:00:00+00:00", tick=False):
        asgi_server.call(lambda: approve_month(office_5102(), by=manager_5102, year=2026, month=10))
        asgi_server.call(lambda: approve_month(office_5102(), by=manager_5102, year=2026, month=11))
    with time_machine.travel("2026-09-10 02:00:00+00:00", tick=False):
        asgi_server.call(served, "5102", officer_5102)  # September is never approved: it must not show

    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/transparansi/5102/?tahun=2026")
    rows = page.locator("#months-table tbody tr.month-row")
    assert rows.count() == 2
    assert [r.get_attribute("data-month") for r in rows.all()] == ["10", "11"]
    assert "Oktober" in rows.nth(0).inner_text() and "disetujui 1 Desember 2026" in rows.nth(1).inner_text()
    assert page.locator("#year-total td").nth(1).inner_text() == "4"
    assert page.locator(".tp-charts svg rect").count() == 4
    text = page.locator("main").inner_text()
    assert "@" not in text and "Putu" not in text and "+62" not in text
    page.screenshot(path="/tmp/transparency-5102.png", full_page=True)
    page.get_by_role("button", name="English").click()
    page.locator("#months-table").wait_for()
    assert "October" in page.locator("#months-table").inner_text()
    assert "Consultations served" in page.locator("#months-table thead").inner_text()
    page.goto("/transparansi/5100/?tahun=2026")
    assert page.locator("#regencies-table tr[data-office='5102']").count() == 1
    assert page.locator("#subtree-total td").nth(1).inner_text() == "4"
    page.screenshot(path="/tmp/transparency-5100.png", full_page=True)
    assert page.js_errors == []  # type: ignore[attr-defined]
