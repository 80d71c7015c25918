"""Issue 11 in a real browser: a second person's guestbook link asks "continue as …?" and merges nothing until a
button is pressed."""

from __future__ import annotations

from typing import Any

import pytest

from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.models import Visitor, VisitorMerge
from pstdesk.lib import signing
from pstdesk.offices.models import Office
from pstdesk.testing.browser import asgi_server, browser_page, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _link(server: Any, visitor: Visitor, office: Office) -> str:
    return server.url + "/bukutamu/5102/?t=" + signing.guestbook_token(visitor, office)


def test_another_persons_link_asks_and_merges_only_on_the_button(
    asgi_server: Any, browser_page: Any, office_5102: Office
) -> None:
    mine = Visitor.objects.create(name="Made Wira", email="made@example.test", whatsapp="+6281234567890")
    theirs = Visitor.objects.create(name="Ketut Sari", email="ketut@example.test", whatsapp="+6289876543210")
    consultation = Consultation.objects.create(office=office_5102, visitor=mine, channel="livechat_website")

    browser_page.goto(_link(asgi_server, mine, office_5102))  # a fresh browser: the link names its visitor
    assert "/tautan/" not in browser_page.url
    browser_page.goto(_link(asgi_server, theirs, office_5102))
    assert "/bukutamu/5102/tautan/" in browser_page.url and "t=" not in browser_page.url
    browser_page.screenshot(path="/tmp/sgb-link-choice.png", full_page=True)
    assert browser_page.get_by_role("heading", name="Lanjutkan sebagai siapa?").is_visible()
    assert "k•••@example.test" in browser_page.content() and "ketut@example.test" not in browser_page.content()
    assert not VisitorMerge.objects.exists()

    browser_page.get_by_role("button", name="Tetap sebagai Made Wira").click()
    browser_page.wait_for_url("**/bukutamu/5102/?lang=id")
    assert browser_page.locator("#id_email").input_value() == "made@example.test"
    consultation.refresh_from_db()
    assert consultation.visitor_id == mine.pk and not VisitorMerge.objects.exists()

    browser_page.goto(_link(asgi_server, theirs, office_5102))
    browser_page.get_by_role("button", name="Keduanya saya: gabungkan").click()
    browser_page.wait_for_url("**/bukutamu/5102/?lang=id")
    merge = VisitorMerge.objects.get()
    assert (merge.source_id, merge.target_id, merge.reason) == (mine.pk, theirs.pk, "signed_link")
    consultation.refresh_from_db()
    assert consultation.visitor_id == theirs.pk
