"""The admin in a real browser (headless Chromium through Playwright): the administrator logs in through the form,
edits the service standard through its structured form (adds a requirement row, changes an hour) and sees the new
version; an hour of 25.00 and an origin that is not a URL are refused with the message beside the field and
nothing is stored. The branded 403 and 500 pages, at a public and at a console address.

Set PSTDESK_SCREENSHOTS=<dir> to save the screenshots of the report (1280×800 and 768×1024)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from pstdesk.accounts.models import User
from pstdesk.offices.models import Office, ServiceStandard
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "admin-pass-9231"


def shoot(page: Any, name: str, *, full_page: bool = False, at: Any = None) -> None:
    """Screenshots at both sizes, `at` (a locator) scrolled into view after each resize."""
    folder = os.environ.get("PSTDESK_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        if at is not None:
            at.evaluate("node => node.scrollIntoView({block: 'start'})")
        page.screenshot(path=f"{folder}/{name}-{width}x{height}.png", full_page=full_page)
    page.set_viewport_size({"width": 1280, "height": 800})


def standards(code: str) -> list[ServiceStandard]:
    return list(ServiceStandard.objects.filter(office_id=code).order_by("version"))


def test_the_admin_edits_the_standard_through_the_structured_form(asgi_server: Any, browser_page: Any) -> None:  # noqa: F811
    page, server = browser_page, asgi_server
    server.call(lambda: User.objects.create_superuser("admin", "admin@example.test", PASSWORD))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click('input[type="submit"]')
    expect(page.locator("#site-name")).to_contain_text("PST Desk")

    page.goto("/admin/offices/servicestandard/")
    newest_5102 = page.locator("#result_list tbody tr", has_text="5102").first
    expect(newest_5102.locator("td").first).to_have_text("1")  # the version column
    shoot(page, "admin-changelist")

    v1 = server.call(lambda: standards("5102")[0])
    page.goto(f"/admin/offices/servicestandard/{v1.pk}/change/")
    assert page.locator('textarea[name="requirements"]').count() == 0  # no JSON box
    requirements = page.locator('.structured-list[data-prefix="requirements"]')
    before = requirements.locator("tbody tr.structured-row").count()
    requirements.locator(".structured-add").click()
    added = requirements.locator("tbody tr.structured-row").nth(before)
    added.locator("select").select_option("introduction")
    added.locator('textarea[lang="id"]').fill("Memperkenalkan diri dan instansi")
    added.locator('textarea[lang="en"]').fill("Introducing oneself and one's institution")
    page.fill('input[name="service_hours-fri-close"]', "15.30")
    page.fill('input[name="change_note"]', "Perkenalan; Jumat sampai 15.30")
    shoot(page, "admin-standard-form", at=requirements)
    page.click('input[name="_save"]')
    expect(page.locator("ul.messagelist")).to_be_visible()
    expect(newest_5102.locator("td").first).to_have_text("2")

    v1, v2 = server.call(lambda: standards("5102"))
    assert v2.version == 2 and v2.change_note == "Perkenalan; Jumat sampai 15.30"
    assert v2.requirements == [
        *v1.requirements,
        {
            "code": "introduction",
            "text": {"id": "Memperkenalkan diri dan instansi", "en": "Introducing oneself and one's institution"},
        },
    ]
    assert v2.service_hours == {**v1.service_hours, "fri": [v1.service_hours["fri"][0], "15:30"]}

    # 25.00 is not an hour: refused beside the hours, what was typed shown back, nothing stored
    page.goto(f"/admin/offices/servicestandard/{v2.pk}/change/")
    page.fill('input[name="service_hours-mon-close"]', "25.00")
    page.fill('input[name="change_note"]', "jam salah")
    page.click('input[name="_save"]')
    error = page.locator(".field-service_hours .errorlist")
    expect(error).to_contain_text("Senin: “25.00” bukan jam yang sah (00.00–23.59).")
    expect(page.locator('input[name="service_hours-mon-close"]')).to_have_value("25.00")
    shoot(page, "admin-standard-error", at=page.locator(".field-service_hours"))
    assert server.call(lambda: len(standards("5102"))) == 2

    # website origins: one URL per row, each validated; a wrong one is refused beside the field, nothing stored
    stored = server.call(lambda: Office.objects.get(code="5102").website_origins)
    page.goto("/admin/offices/office/5102/change/")
    origins = page.locator('.structured-list[data-prefix="website_origins"]')
    expect(origins).to_be_visible()
    shoot(page, "admin-origins", at=page.locator(".field-website_origins"))
    origins.locator(".structured-add").click()
    origins.locator("tbody tr.structured-row").last.locator("input").fill("tabanan kab")
    page.click('input[name="_save"]')
    expect(page.locator(".field-website_origins .errorlist")).to_contain_text("“tabanan kab” bukan asal situs yang sah")
    shoot(page, "admin-origins-error", at=page.locator(".field-website_origins"))
    assert server.call(lambda: Office.objects.get(code="5102").website_origins) == stored
    assert page.js_errors == []


@pytest.mark.parametrize("where", ["/uji", "/console/uji"])
def test_branded_403_and_500_pages(
    asgi_server: Any,  # noqa: F811
    browser_page: Any,  # noqa: F811
    officer_5102: Any,
    settings: Any,
    where: str,
) -> None:
    settings.ROOT_URLCONF = "pstdesk.offices.tests.error_urls"
    page, server = browser_page, asgi_server
    if where.startswith("/console"):
        login(page, server, officer_5102)
    page.set_viewport_size({"width": 1280, "height": 800})
    name = where.strip("/").replace("/", "-")

    response = page.goto(f"{where}/403/")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Akses ditolak")
    expect(page.locator("main")).to_contain_text("Kode kesalahan: 403")
    shoot(page, f"error-403-{name}")

    response = page.goto(f"{where}/500/")
    assert response is not None and response.status == 500
    expect(page.locator("h1")).to_have_text("Terjadi kesalahan pada server")
    assert "RuntimeError" not in page.content() and "Traceback" not in page.content()
    shoot(page, f"error-500-{name}")
