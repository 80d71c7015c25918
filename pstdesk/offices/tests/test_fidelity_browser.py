"""In real Chromium: Jembrana's widget launcher never appears on its website (its standard offers no LiveChat),
Tabanan's does; the public pages as the visitor sees them (screenshots under the temp directory)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from pstdesk.testing.browser import asgi_server, browser_page, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir()) / "pstdesk-fidelity"


def test_launcher_only_for_an_office_that_offers_livechat(
    asgi_server: Any,  # noqa: F811
    browser_page: Any,  # noqa: F811
    settings: Any,
) -> None:
    settings.ROOT_URLCONF = "pstdesk.channels.web.tests.host_urls"
    settings.WIDGET_EXTRA_ORIGINS = [f"http://localhost:{asgi_server.port}"]
    SHOTS.mkdir(exist_ok=True)
    page = browser_page
    website = f"http://localhost:{asgi_server.port}/office-website/"

    page.goto(website + "?office=5102")
    page.locator("[data-pstdesk-widget] button.launcher").wait_for()

    page.goto(website + "?office=5101")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-pstdesk-widget]").count() == 0  # the loader asked, got 404, showed nothing
    page.screenshot(path=str(SHOTS / "website-5101.png"))


def test_public_pages_render(asgi_server: Any, browser_page: Any) -> None:  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    page = browser_page
    page.goto(asgi_server.url + "/standar/5101/")
    assert page.locator("#requirements li").count() == 4
    page.screenshot(path=str(SHOTS / "standard-5101.png"), full_page=True)
    page.goto(asgi_server.url + "/")
    assert page.locator("#office-5101 .channel").count() == 2
    page.screenshot(path=str(SHOTS / "home.png"), full_page=True)
    page.goto(asgi_server.url + "/privasi/data/")
    page.screenshot(path=str(SHOTS / "rights-request.png"), full_page=True)
