"""The LiveChat in real headless Chromium: a visitor on an office web page that embeds the snippet and a visitor on
/pfa/5102/ each fill the guestbook, verify their e-mail, chat with an officer who uses the console in another
browser context, rate, and the officer closes; both sides end with the same transcript. A dropped socket loses
and duplicates nothing; a script-injection payload stays text on both sides."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORKING_TIME = "2026-03-10 02:00:00+00:00"  # Tuesday 10:00 WITA, within Tabanan's hours
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture(autouse=True)
def in_service_hours() -> Iterator[None]:
    with time_machine.travel(WORKING_TIME, tick=True):
        yield


@pytest.fixture
def website(asgi_server: Any, settings: Any) -> str:  # noqa: F811
    """The address of a page standing for an office's website: another origin (another host name of the same
    machine) than the service, serving `host_urls.host_page` with the one-line snippet."""
    settings.ROOT_URLCONF = "pstdesk.channels.web.tests.host_urls"
    return f"http://localhost:{asgi_server.port}/office-website/"


@pytest.fixture
def host_origin(website: str, asgi_server: Any, settings: Any) -> str:  # noqa: F811
    """The office website's origin, allowed to embed the widget."""
    origin = f"http://localhost:{asgi_server.port}"
    settings.WIDGET_EXTRA_ORIGINS = [origin]
    return origin


def new_page(browser_page: Any, asgi_server: Any) -> Any:  # noqa: F811
    """A page in a fresh browser context (its own cookies and storage), recording dialogs and errors."""
    context = browser_page.context.browser.new_context(base_url=asgi_server.url, locale="id-ID")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    page.console_log = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.console_log.append(m.text))
    page.on("requestfailed", lambda r: page.console_log.append(f"failed {r.url} {r.failure}"))
    return page


def open_widget_on_host_page(page: Any, asgi_server: Any, host_origin: str) -> Any:  # noqa: F811
    """The office's web page (served by Playwright on the allowed origin) with the one-line snippet; returns the
    chat frame after opening it with the keyboard."""
    page.goto(f"{host_origin}/office-website/")
    launcher = page.locator("[data-pstdesk-widget] button.launcher")
    try:
        launcher.wait_for()
    except Exception as exc:
        raise AssertionError(f"no launcher: {page.console_log} {page.js_errors} {page.content()[:2000]}") from exc
    assert launcher.get_attribute("aria-label") == "Buka obrolan dengan PST"
    launcher.focus()
    page.keyboard.press("Enter")
    assert launcher.get_attribute("aria-expanded") == "true"
    frame = page.frame_locator("iframe#pstdesk-frame")
    frame.locator("#pstchat").wait_for()
    return frame


def open_pfa(page: Any) -> Any:
    page.goto("/pfa/5102/")
    page.locator("#pstchat").wait_for()
    return page


def wait_for_mail(address: str, timeout: float = 10) -> str:
    from django.core import mail

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(mail.outbox):
            if address in message.to:
                found = re.search(r"\b(\d{8})\b", message.body)
                if found:
                    return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no verification code sent to {address}")


def fill_prechat(chat: Any, *, name: str, email: str) -> None:
    """The guestbook, the consent and the e-mail code, as a visitor fills them."""
    form = chat.locator("#pc-prechat")
    form.wait_for()
    chat.locator("#gb_name").fill(name)
    chat.locator("#gb_email").fill(email)
    chat.locator("#gb_whatsapp").fill("0812-3456-7890")
    chat.locator("#pc-prechat input[name=sex][value='2']").check()
    chat.locator("#gb_age_group").select_option("2")
    chat.locator("#gb_education").select_option("3")
    chat.locator("#gb_occupation").select_option("1")
    chat.locator("#gb_institution_category").select_option("6")
    chat.locator("#gb_institution_name").fill("Universitas Udayana")
    chat.locator("#gb_purpose").select_option("1")
    chat.locator("#gb_consent").check()
    chat.locator("#pc-prechat button[type=submit]").click()
    chat.locator("#pc-verify").wait_for()
    assert chat.locator("#ver_email").input_value() == email
    chat.locator("#pc-send-code").click()
    code = wait_for_mail(email)
    chat.locator("#ver_code").fill(code)
    chat.locator("#pc-verify button[type=submit]").click()
    chat.locator("#pc-composer").wait_for()
    chat.locator("#pc-conn", has_text="Tersambung").wait_for()


def send(chat: Any, text: str) -> None:
    chat.locator("#pc-input").fill(text)
    chat.locator("#pc-input").press("Enter")


def widget_texts(chat: Any) -> list[str]:
    return chat.locator("#pc-log .pc-msg[data-seq] .pc-text").all_text_contents()


def console_texts(page: Any) -> list[str]:
    return page.locator("#transcript > li .body").all_text_contents()


def wait_until(predicate: Any, timeout: float = 15, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(message or "condition not met in time")


def consultation_of(asgi_server: Any, email: str) -> Any:  # noqa: F811
    from pstdesk.consultations.models import Consultation

    found: list[Any] = []

    def probe() -> bool:
        row = asgi_server.call(
            lambda: Consultation.objects.filter(visitor__email=email).select_related("office").first()
        )
        found[:] = [row]
        return row is not None

    wait_until(probe, message=f"no consultation for {email}")
    return found[0]


def officer_console(browser_page: Any, asgi_server: Any, officer: Any, consultation_id: int) -> Any:  # noqa: F811
    page = new_page(browser_page, asgi_server)
    login(page, asgi_server, officer)
    page.goto(f"/console/{consultation_id}/")
    page.locator("#transcript").wait_for()
    return page


def click_verb(console: Any, verb: str) -> None:
    button = console.locator(f"#verbs button[data-verb='{verb}']:not([data-extra])")
    button.wait_for(state="visible")
    button.click()
    if button.get_attribute("data-confirm"):  # closing and reopening ask first
        console.locator("#confirm-yes").click()


def officer_reply(console: Any, text: str, *, answer: bool = False) -> None:
    if answer:  # the console marks answered only with a topic
        console.locator("#topic").select_option("data")
        console.locator("#topic-form button[type=submit]").click()
        console.locator("#state-topic", has_text="Data").wait_for()
    console.locator("#reply-body").fill(text)
    console.locator("#send-answer" if answer else "#send").click()
    console.locator("#transcript > li .body", has_text=text).first.wait_for()


def full_procedure(
    chat: Any,
    visitor_page: Any,
    browser_page: Any,
    asgi_server: Any,
    officer: Any,
    *,  # noqa: F811
    email: str,
    channel: str,
) -> None:
    fill_prechat(chat, name="Putu Ayu", email=email)
    send(chat, "Selamat pagi, saya butuh data kemiskinan Kabupaten Tabanan 2024.")
    chat.locator(".pc-msg[data-seq] .pc-text", has_text="data kemiskinan").wait_for()
    consultation = consultation_of(asgi_server, email)
    assert consultation.channel == channel

    console = officer_console(browser_page, asgi_server, officer, consultation.pk)
    console.locator("#transcript > li .body", has_text="data kemiskinan").wait_for()
    click_verb(console, "clear")
    console.locator("#state-status", has_text="Terbuka").wait_for()
    console.locator("#reply-body").type("Baik")  # the visitor sees the officer typing
    chat.locator("#pc-typing", has_text="mengetik").wait_for()
    officer_reply(console, "Selamat pagi. Data kemiskinan 2024 ada di tabel 4.2 publikasi Tabanan Dalam Angka.")
    chat.locator(".pc-msg-out .pc-text", has_text="tabel 4.2").wait_for()
    send(chat, "Terima kasih, apakah ada data per kecamatan?")
    console.locator("#transcript > li .body", has_text="per kecamatan").wait_for()
    officer_reply(console, "Ada, di tabel 4.3 (per kecamatan).", answer=True)
    chat.locator(".pc-msg-out .pc-text", has_text="tabel 4.3").wait_for()
    # the visitor's widget has shown and read the office's messages: the console sees the receipts
    wait_until(
        lambda: (
            asgi_server.call(lambda: consultation.messages.filter(direction="out", delivery_status="read").count()) >= 2
        ),
        message="read receipts did not reach the office",
    )

    click_verb(console, "request-rating")
    rating = chat.locator("#pc-rating")
    rating.wait_for(state="visible")
    chat.locator("#pc-rating input[name=score][value='5']").check()
    chat.locator("#rate_feedback").fill("Cepat dan jelas.")
    chat.locator("#grat_no").check()
    chat.locator("#fee_no").check()
    chat.locator("#pc-rating button[type=submit]").click()
    rating.wait_for(state="hidden")
    console.locator("#state-status", has_text="Dinilai").wait_for()
    click_verb(console, "close")
    console.locator("#state-status", has_text="Ditutup").wait_for()
    chat.locator("#pc-ended").wait_for(state="visible")

    # the transcript by e-mail, to the verified address
    chat.locator("#pc-transcript").click()
    chat.locator("#pc-transcript-status", has_text=email).wait_for()

    from django.core import mail

    transcripts = [m for m in mail.outbox if email in m.to and "Transkrip" in m.subject]
    assert transcripts and "tabel 4.3" in transcripts[-1].body

    rating_row = asgi_server.call(lambda: consultation.__class__.objects.get(pk=consultation.pk).rating)
    assert rating_row.score == 5 and rating_row.gratuity is False and rating_row.channel == channel

    wait_until(lambda: widget_texts(chat) == console_texts(console), message="transcripts differ")
    texts = widget_texts(chat)
    assert len(texts) >= 5 and len(texts) == len(set(texts))
    assert visitor_page.js_errors == [] and console.js_errors == []
    console.context.close()


def test_widget_on_office_website_full_procedure(
    asgi_server: Any,
    browser_page: Any,
    officer_5102: Any,
    host_origin: str,  # noqa: F811
) -> None:
    page = new_page(browser_page, asgi_server)
    chat = open_widget_on_host_page(page, asgi_server, host_origin)
    # the host page's aggressive styles do not reach the chat (it lives in its own document)
    assert chat.locator("#pc-prechat button[type=submit]").evaluate("b => getComputedStyle(b).fontSize") != "40px"
    full_procedure(
        chat,
        page,
        browser_page,
        asgi_server,
        officer_5102,
        email="putu.widget@example.test",
        channel="livechat_website",
    )
    # Escape closes the window and gives the focus back to the launcher
    chat.locator("#pc-input").focus()
    page.keyboard.press("Escape")
    launcher = page.locator("[data-pstdesk-widget] button.launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("document.activeElement && document.activeElement.dataset.pstdeskWidget") == "5102"
    page.context.close()


def test_pfa_page_full_procedure(asgi_server: Any, browser_page: Any, officer_5102: Any) -> None:  # noqa: F811
    page = new_page(browser_page, asgi_server)
    chat = open_pfa(page)
    full_procedure(
        chat, page, browser_page, asgi_server, officer_5102, email="putu.pfa@example.test", channel="livechat_pfa"
    )
    page.context.close()


def test_widget_is_refused_on_a_foreign_site(asgi_server: Any, browser_page: Any, website: str) -> None:  # noqa: F811
    """The same page on an origin the office did not list: the launcher appears, but the browser refuses to show
    the chat frame there (CSP frame-ancestors)."""
    page = new_page(browser_page, asgi_server)
    page.goto(website)
    launcher = page.locator("[data-pstdesk-widget] button.launcher")
    launcher.click()
    page.wait_for_timeout(1500)
    frame = page.frame_locator("iframe#pstdesk-frame")
    assert frame.locator("#pstchat").count() == 0
    page.context.close()


def test_dropped_socket_loses_and_duplicates_nothing(
    asgi_server: Any,
    browser_page: Any,
    officer_5102: Any,  # noqa: F811
) -> None:
    page = new_page(browser_page, asgi_server)
    chat = open_pfa(page)
    email = "drop@example.test"
    fill_prechat(chat, name="Komang", email=email)
    send(chat, "pesan 1 sebelum putus")
    chat.locator(".pc-msg[data-seq] .pc-text", has_text="pesan 1").wait_for()
    consultation = consultation_of(asgi_server, email)
    console = officer_console(browser_page, asgi_server, officer_5102, consultation.pk)
    console.locator("#transcript > li .body", has_text="pesan 1").wait_for()
    click_verb(console, "clear")
    officer_reply(console, "balasan 1 sebelum putus")
    chat.locator(".pc-msg-out .pc-text", has_text="balasan 1").wait_for()

    # network cut: the socket dies and cannot come back
    page.context.set_offline(True)
    page.evaluate("window.PSTChat.socket() && window.PSTChat.socket().close()")
    page.wait_for_function("!window.PSTChat.socket() || window.PSTChat.socket().readyState >= 2")
    send(chat, "pesan 2 saat luring")
    send(chat, "pesan 3 saat luring")
    officer_reply(console, "balasan 2 saat pengguna luring")
    officer_reply(console, "balasan 3 saat pengguna luring")
    page.wait_for_timeout(500)
    assert "balasan 2 saat pengguna luring" not in widget_texts(chat)
    page.context.set_offline(False)
    chat.locator(".pc-msg-out .pc-text", has_text="balasan 3").wait_for()
    console.locator("#transcript > li .body", has_text="pesan 3 saat luring").wait_for()

    # a send whose acknowledgement is lost (the socket closes right after the frame leaves), then a reload
    page.evaluate(
        """() => { const input = document.getElementById('pc-input');
                   input.value = 'pesan 4 tanpa ack';
                   document.getElementById('pc-composer').requestSubmit();
                   window.PSTChat.socket().close(); }"""
    )
    console.locator("#transcript > li .body", has_text="pesan 4 tanpa ack").wait_for()
    page.reload()
    chat.locator(".pc-msg[data-seq] .pc-text", has_text="pesan 4 tanpa ack").wait_for()
    officer_reply(console, "balasan 4 setelah muat ulang")
    chat.locator(".pc-msg-out .pc-text", has_text="balasan 4").wait_for()

    expected = [
        "pesan 1 sebelum putus",
        "balasan 1 sebelum putus",
        "pesan 2 saat luring",
        "pesan 3 saat luring",
        "balasan 2 saat pengguna luring",
        "balasan 3 saat pengguna luring",
        "pesan 4 tanpa ack",
        "balasan 4 setelah muat ulang",
    ]
    wait_until(lambda: widget_texts(chat) == console_texts(console), message="transcripts differ")
    texts = widget_texts(chat)
    assert sorted(texts) == sorted(expected) and len(texts) == len(set(texts))
    # the visitor's messages keep their order; the office's too
    assert [t for t in texts if t.startswith("pesan")] == [t for t in expected if t.startswith("pesan")]
    assert [t for t in texts if t.startswith("balasan")] == [t for t in expected if t.startswith("balasan")]
    stored = asgi_server.call(lambda: list(consultation.messages.order_by("seq").values_list("body", flat=True)))
    assert stored == texts
    assert asgi_server.call(lambda: consultation.messages.filter(body="pesan 4 tanpa ack").count()) == 1
    console.context.close()
    page.context.close()


def test_script_injection_renders_as_text_on_both_sides(
    asgi_server: Any,
    browser_page: Any,
    officer_5102: Any,
    host_origin: str,  # noqa: F811
) -> None:
    page = new_page(browser_page, asgi_server)
    chat = open_widget_on_host_page(page, asgi_server, host_origin)
    email = "xss@example.test"
    fill_prechat(chat, name="<b>Nyoman</b>", email=email)
    send(chat, XSS)
    chat.locator(".pc-msg[data-seq] .pc-text", has_text="<script>").wait_for()
    consultation = consultation_of(asgi_server, email)
    console = officer_console(browser_page, asgi_server, officer_5102, consultation.pk)
    console.locator("#transcript > li .body", has_text="<script>").wait_for()
    click_verb(console, "clear")
    officer_reply(console, XSS + " (balasan)")
    chat.locator(".pc-msg-out .pc-text", has_text="(balasan)").wait_for()
    page.wait_for_timeout(500)

    assert widget_texts(chat) == [XSS, XSS + " (balasan)"]
    assert console_texts(console) == [XSS, XSS + " (balasan)"]
    assert chat.locator("#pc-log img").count() == 0 and chat.locator("#pc-log script").count() == 0
    assert console.locator("#transcript img").count() == 0 and console.locator("#transcript script").count() == 0
    assert page.dialogs == [] and console.dialogs == []
    console.context.close()
    page.context.close()
