"""In a real browser (headless Chromium through Playwright): the province's supervisor finds a rating alert
escalated from Tabanan in their queue, opens it and decides it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pstdesk.ratings.models import AlertStatus
from pstdesk.supervision.escalation import escalate_rating_alerts
from pstdesk.supervision.models import Escalation
from pstdesk.supervision.tests.test_alert_escalation import low_score_alert
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_province_decides_an_escalated_alert(asgi_server, browser_page, officer_5102, supervisor_5100):  # noqa: F811
    alert = low_score_alert(officer_5102, opened=timezone.now() - timedelta(days=21))
    assert escalate_rating_alerts() >= 1
    assert Escalation.objects.filter(rating_alert=alert, level=1, to_office="5100").exists()
    page = browser_page
    login(page, asgi_server, supervisor_5100)
    page.goto("/pengawasan/antrean/")
    row = page.locator(f'#escalated-alerts tr[data-alert="{alert.pk}"]')
    expect(row).to_contain_text("5102")
    page.screenshot(path="/tmp/alert_escalated_queue.png", full_page=True)
    row.locator("a[href*='/pengawasan/penilaian/']").click()
    page.wait_for_url(f"**/pengawasan/penilaian/{alert.pk}/")
    expect(page.locator("#alert-escalations")).to_contain_text("5100")
    page.check('input[name="decision"][value="action_taken"]')
    page.fill("#decision-text", "Petugas dibina oleh pengawas provinsi.")
    page.click("#decision-form button[type=submit]")
    expect(page.locator("#alert-status")).to_contain_text("sudah ditindak")
    page.screenshot(path="/tmp/alert_escalated_decided.png", full_page=True)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACTION_TAKEN
    page.goto("/pengawasan/antrean/")
    expect(page.locator(f'#escalated-alerts tr[data-alert="{alert.pk}"]')).to_have_count(0)
