"""The officer console in a real browser (headless Chromium through Playwright): a consultation appears live,
the officer works it through each office's procedure (Tabanan 5102: answer → rating → close; Jembrana 5101:
answer → close → rating), visitor messages and status changes arrive without reload, and after the socket dies
the console replays what it missed, without duplicates."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pstdesk.consultations.actions import add_note, receive_message
from pstdesk.consultations.models import Consultation, Message
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import VisitorActor
from pstdesk.ratings.actions import record_rating
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401
from pstdesk.testing.identities import make_visitor

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WA_ID = "6281234567890"


def ready_visitor(office: str) -> Visitor:
    visitor = make_visitor(name="Putu Ayu", wa_id=WA_ID, whatsapp="+" + WA_ID)
    return complete_requirements(visitor, office)


def rate(pk: int, visitor_id: int) -> None:
    record_rating(
        Consultation.objects.get(pk=pk),
        by=VisitorActor(visitor_id),
        score=5,
        feedback="Sangat membantu",
        channel="whatsapp",
    )


def open_from_inbox(page, server, office: str, body: str) -> int:  # noqa: ANN001
    """Wait for the inbox to be live, let a visitor write, see the row appear, open it."""
    page.goto("/console/?queue=office")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    received = server.call(receive_message, make_inbound(office=office, body=body))
    pk = received.consultation.pk
    row = page.locator(f'#rows li[data-id="{pk}"]')
    expect(row).to_contain_text("Putu Ayu")
    row.locator("a").click()
    page.wait_for_url(f"**/console/{pk}/?queue=office")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(page.locator("#transcript li.msg-in", has_text=body)).to_have_count(1)
    return pk


def answer(page, text: str) -> None:  # noqa: ANN001
    page.click('#verbs button[data-verb="clear"]')
    status = page.locator("#consultation")
    expect(status).to_have_attribute("data-status", "open")
    page.select_option("#topic", "data")  # the topic is required before answering is marked
    page.click('#topic-form button[type="submit"]')
    expect(page.locator("#state-topic")).to_contain_text("Data")
    page.fill("#reply-body", text)
    page.click("#send-answer")  # reply and mark answered, one action
    expect(status).to_have_attribute("data-status", "answered")
    reply = page.locator("#transcript li.msg-out", has_text=text)
    expect(reply).to_have_count(1)
    expect(reply.locator(".delivery")).to_have_attribute("data-status", re.compile("pending|sent"))


def test_tabanan_rate_then_close_live_with_replay(asgi_server, browser_page, officer_5102, fake_adapter):  # noqa: F811
    page, server = browser_page, asgi_server
    visitor = ready_visitor("5102")
    login(page, server, officer_5102)
    pk = open_from_inbox(page, server, "5102", "Saya perlu data IPM Tabanan")
    status = page.locator("#consultation")

    answer(page, "Data IPM ada di tabel 4.1 <b>publikasi</b>.")
    # the visitor writes meanwhile: it appears without reload
    server.call(receive_message, make_inbound(office="5102", body="Terima kasih, dan tahun 2024?"))
    expect(page.locator("#transcript li.msg-in", has_text="tahun 2024")).to_have_count(1)
    # markup typed by anyone is text, never HTML
    expect(page.locator("#transcript b")).to_have_count(0)

    # 5102: closing needs the rating first
    expect(page.locator('#verbs button[data-requires="close"]')).to_be_hidden()
    page.click('#verbs button[data-verb="request-rating"]')
    expect(status).to_have_attribute("data-status", "awaiting_rating")
    expect(page.locator("#transcript li.msg-out", has_text="penilaian")).to_have_count(1)
    server.call(rate, pk, visitor.pk)  # the visitor rates in their channel
    expect(status).to_have_attribute("data-status", "rated")
    expect(page.locator("#state-rating")).to_have_attribute("data-rated", "true")
    page.click('#verbs button[data-requires="close"]')
    page.click("#confirm-yes")  # closing asks first
    expect(status).to_have_attribute("data-status", "closed")

    # the socket dies; what happens meanwhile is replayed on reconnect, once
    page.context.set_offline(True)
    page.evaluate("window.pstConsole.socket.ws.close()")
    expect(page.locator("#connection")).not_to_have_attribute("data-state", "online")
    consultation = server.call(Consultation.objects.get, pk=pk)
    server.call(add_note, consultation, by=officer_5102, body="Catatan saat terputus 1")
    server.call(add_note, consultation, by=officer_5102, body="Catatan saat terputus 2")
    page.context.set_offline(False)
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(page.locator("#transcript li.msg-note", has_text="terputus 2")).to_have_count(1)
    expect(page.locator("#transcript li.msg-note", has_text="terputus 1")).to_have_count(1)
    stored = server.call(lambda: list(Message.objects.filter(consultation_id=pk).values_list("seq", flat=True)))
    assert page.evaluate("window.pstConsole.seqs()") == sorted(stored)
    expect(page.locator("#transcript li.msg")).to_have_count(len(stored))
    assert page.js_errors == []


def test_jembrana_close_then_rate(asgi_server, browser_page, officer_5101, fake_adapter):  # noqa: F811
    page, server = browser_page, asgi_server
    visitor = ready_visitor("5101")
    login(page, server, officer_5101)
    pk = open_from_inbox(page, server, "5101", "Mohon data penduduk Jembrana")
    status = page.locator("#consultation")

    answer(page, "Data penduduk ada di Jembrana Dalam Angka.")
    # 5101: no rating before closing; closing asks for it
    expect(page.locator('#verbs button[data-verb="request-rating"]')).to_be_hidden()
    page.click('#verbs button[data-requires="close"]')
    page.click("#confirm-yes")
    expect(status).to_have_attribute("data-status", "closed")
    expect(page.locator("#state-rating")).to_have_attribute("data-rated", "false")
    expect(page.locator("#transcript li.msg-out", has_text="penilaian")).to_have_count(1)
    server.call(rate, pk, visitor.pk)
    expect(page.locator("#state-rating")).to_have_attribute("data-rated", "true")
    expect(status).to_have_attribute("data-status", "closed")
    assert page.js_errors == []


def test_outsider_gets_404_page(asgi_server, browser_page, officer_5101):  # noqa: F811
    page, server = browser_page, asgi_server
    ready_visitor("5102")
    received = server.call(receive_message, make_inbound(office="5102", body="rahasia"))
    login(page, server, officer_5101)
    response = page.goto(f"/console/{received.consultation.pk}/")
    assert response is not None and response.status == 404
    page.goto("/console/?queue=office")
    expect(page.locator("#empty")).to_be_visible()
