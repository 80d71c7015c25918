"""In real Chromium: Jembrana's widget launcher never appears on its website (its standard offers no LiveChat),
Tabanan's does; the public pages as the visitor sees them (screenshots under the temp directory)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from pstdesk.lib.actors import SystemActor
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


VIEWPORTS = {"desktop": (1280, 800), "tablet": (768, 1024)}


def test_public_and_rights_pages_at_two_sizes(asgi_server: Any, browser_page: Any) -> None:  # noqa: F811
    """The standards of both offices and the rights pages at 1280×800 and 768×1024: nothing wider than the window,
    no script error; screenshots kept for a person to look at."""
    from pstdesk.guestbook import actions as guestbook
    from pstdesk.guestbook import rights
    from pstdesk.guestbook.tests.factories import guestbook_data, make_visitor
    from pstdesk.offices.models import Office

    visitor = make_visitor(name="Putu Ayu", language="id")
    guestbook.fill_guestbook(
        visitor,
        office=Office.objects.get(code="5102"),
        channel="whatsapp",
        data=guestbook_data(),
        by=SystemActor("test"),
    )
    token = rights.rights_token(visitor)
    pages = {
        "standard-5101": "/standar/5101/",
        "standard-5102": "/standar/5102/",
        "rights-request": "/privasi/data/",
        "rights-data": f"/privasi/data/{token}/",
        "privacy-notice": "/privasi/?kantor=5101",
    }
    SHOTS.mkdir(exist_ok=True)
    page = browser_page
    for size, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            response = page.goto(asgi_server.url + path)
            assert response is not None and response.status == 200, path
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, size, overflow)
            page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)
            if name == "rights-data":
                assert "Putu Ayu" in page.content()  # the visitor's own data
    assert page.js_errors == []
