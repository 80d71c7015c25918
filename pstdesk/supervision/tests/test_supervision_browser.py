"""The supervision pages in a real browser (headless Chromium through Playwright): a supervisor edits the duty
roster and sees the coverage change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pstdesk.conftest import make_user
from pstdesk.supervision.models import RosterShift
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_edits_the_roster(asgi_server, browser_page, officer_5102, supervisor_5102):  # noqa: F811
    page = browser_page
    login(page, asgi_server, supervisor_5102)
    page.goto("/pengawasan/jadwal/")
    page.wait_for_url("**/pengawasan/jadwal/5102/")
    expect(page.locator("#minimum")).to_contain_text("2")
    # With nobody rostered every service hour of a working day is below the minimum.
    assert page.locator("#coverage td.below").count() > 0
    before = page.locator("#coverage td.below").count()
    for weekday in ("0", "1", "2", "3", "4"):
        page.select_option("#shift-form select[name=user]", str(officer_5102.pk))
        page.select_option("#shift-form select[name=weekday]", weekday)
        page.fill("#shift-form input[name=starts]", "08:00")
        page.fill("#shift-form input[name=ends]", "16:00")
        page.click("#shift-form button[type=submit]")
        expect(page.locator(".messages")).to_be_visible()
    assert RosterShift.objects.filter(office_id="5102", user=officer_5102).count() == 5
    expect(page.locator("#shifts tbody tr")).to_have_count(5)
    # one officer is still below Tabanan's two, but the cells now count one
    assert page.locator("#coverage td.below").count() == before
    expect(page.locator("#coverage td.below").first).to_contain_text("1")
    page.screenshot(path="/tmp/sup_roster.png", full_page=True)
    # a second officer on Mondays lifts Monday's hours to the minimum
    other = make_user("wayan", "5102")
    page.reload()
    page.select_option("#shift-form select[name=user]", str(other.pk))
    page.select_option("#shift-form select[name=weekday]", "0")
    page.fill("#shift-form input[name=starts]", "08:00")
    page.fill("#shift-form input[name=ends]", "16:00")
    page.click("#shift-form button[type=submit]")
    expect(page.locator("#shifts tbody tr")).to_have_count(6)
    assert page.locator("#coverage td.below").count() < before
