"""The console's side panel and composer in a real browser (headless Chromium through Playwright): a file dropped
on the composer is previewed and sent with the reply, and when the visitor rates, the rating panel shows the
score, the feedback and the integrity answers without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pstdesk.consultations.models import Attachment, Consultation
from pstdesk.consultations.tests.conftest import complete_requirements
from pstdesk.consultations.tests.test_console_panes_browser import PEOPLE, write
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import VisitorActor
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401
from pstdesk.testing.identities import make_visitor

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A drop of one file on the composer, as the browser dispatches it when a file is dragged in from the desktop.
DROP = """
() => {
  const data = new DataTransfer();
  data.items.add(new File([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10])], "peta.png", {type: "image/png"}));
  const composer = document.getElementById("composer");
  composer.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
  composer.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
}
"""


@pytest.fixture(autouse=True)
def _no_provider(settings):  # noqa: ANN001, ANN202
    settings.WHATSAPP_API_BASE = "http://127.0.0.1:9"  # read receipts: refused at once, not what this is about


def rate_with_answers(pk: int) -> None:
    from pstdesk.ratings.actions import record_rating

    consultation = Consultation.objects.get(pk=pk)
    record_rating(
        consultation,
        by=VisitorActor(consultation.visitor_id),
        score=4,
        feedback="Jawabannya jelas, terima kasih",
        gratuity=False,
        illegal_fee=True,
        channel="whatsapp",
    )


def test_dropped_file_is_sent_and_the_rating_appears_live(asgi_server, browser_page, officer_5102, fake_adapter):  # noqa: F811
    page, server = browser_page, asgi_server
    name, wa_id = PEOPLE[0]
    complete_requirements(make_visitor(name=name, wa_id=wa_id, whatsapp="+" + wa_id), "5102")
    pk = write(server, 0, "Mohon peta wilayah kecamatan")
    login(page, server, officer_5102)
    page.goto(f"/console/{pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(page.locator("#rating-panel")).to_have_count(0)
    page.click('#verbs button[data-verb="clear"]')
    page.select_option("#topic", "data")
    page.click('#topic-form button[type="submit"]')
    expect(page.locator("#state-topic")).to_contain_text("Data")

    # a file dropped on the composer is previewed (with its thumbnail), then sent with the reply
    page.evaluate(DROP)
    expect(page.locator('#file-previews li[data-name="peta.png"]')).to_have_count(1)
    expect(page.locator('#file-previews li[data-name="peta.png"] img')).to_have_count(1)
    page.fill("#reply-body", "Peta kecamatan terlampir.")
    page.click("#send-answer")
    expect(page.locator("#consultation")).to_have_attribute("data-status", "answered")
    expect(page.locator("#transcript li.msg-out .attachments a", has_text="peta.png")).to_have_count(1)
    expect(page.locator("#file-previews li")).to_have_count(0)
    stored = server.call(
        lambda: list(Attachment.objects.filter(message__consultation_id=pk).values_list("filename", "size"))
    )
    assert stored == [("peta.png", 8)]

    # the visitor rates: the side panel shows the rating without a reload
    page.evaluate("window.__noReload = true")
    server.call(rate_with_answers, pk)
    expect(page.locator("#consultation")).to_have_attribute("data-status", "rated")
    expect(page.locator("#rating-score")).to_have_text("4 / 5")
    expect(page.locator("#rating-feedback")).to_have_text("Jawabannya jelas, terima kasih")
    expect(page.locator("#rating-gratuity")).to_have_text("Tidak")
    expect(page.locator("#rating-illegal-fee")).to_have_text("Ya")
    assert page.evaluate("window.__noReload") is True  # the same document: nothing reloaded
    assert page.js_errors == []
