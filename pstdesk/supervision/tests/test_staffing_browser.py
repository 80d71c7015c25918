"""The report page in a real browser shows the supervision sections: staffing per day (roster against the
audited duty history) and the transcript review results of the period."""

from __future__ import annotations

from typing import Any

import pytest

from pstdesk.supervision.tests.test_staffing import week  # noqa: F401
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_report_shows_staffing_per_day_and_reviews(
    asgi_server: Any,
    browser_page: Any,
    week: dict[str, Any],  # noqa: F811
    supervisor_5102: Any,
) -> None:
    page = browser_page
    login(page, asgi_server, supervisor_5102)
    page.goto(asgi_server.url + "/laporan/?office=5102&period=2026-11")
    summary = page.locator("#table-staf")
    assert "5102" in summary.inner_text() and "standar pelayanan" in summary.inner_text()
    monday = page.locator("#table-staf_harian tr", has_text="23 Nov 2026")
    # service hours, scheduled, on duty, minimum, hours below the minimum (actual, by the roster), unstaffed
    assert monday.locator("td").all_inner_texts()[2:] == ["8", "2", "2", "2", "4", "0", "0"]
    assert page.locator("#table-tinjauan").is_visible()
    for width, height in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        summary.scroll_into_view_if_needed()
        page.screenshot(path=f"/tmp/sup_report_staffing_{width}.png")
