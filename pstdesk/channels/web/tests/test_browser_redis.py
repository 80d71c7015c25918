"""The widget in real headless Chromium while Redis goes away and comes back (a throwaway `redis-server`): the
connection line says "reconnecting" (marked), the visitor's message is still sent and acknowledged, the officer's
reply still arrives, and the line says "connected" again by itself when Redis is back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from pstdesk.channels.web.tests.test_browser import (
    consultation_of,
    fill_prechat,
    new_page,
    open_pfa,
    send,
    widget_texts,
)
from pstdesk.channels.web.tests.test_redis_down import ThrowawayRedis
from pstdesk.testing.browser import asgi_server, browser_page, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = "/tmp/pstdesk-widget-redis-{}.png"


@pytest.fixture(autouse=True)
def in_service_hours() -> Iterator[None]:
    with time_machine.travel("2026-03-10 02:00:00+00:00", tick=True):
        yield


@pytest.fixture
def redis(settings: Any) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [server.url]}}
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}}
    try:
        yield server
    finally:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
        server.kill()
        from pstdesk.channels.web import limits

        limits._shared_down_until = 0.0
        limits._local.clear()


def test_widget_says_reconnecting_while_redis_is_down_and_recovers(
    redis: ThrowawayRedis,
    asgi_server: Any,  # noqa: F811
    browser_page: Any,  # noqa: F811
    officer_5102: Any,
) -> None:
    from pstdesk.consultations.actions import post_reply

    page = new_page(browser_page, asgi_server)
    chat = open_pfa(page)
    fill_prechat(chat, name="Nyoman", email="redis@example.test")
    send(chat, "pesan sebelum Redis mati")
    chat.locator(".pc-msg[data-seq] .pc-text", has_text="sebelum Redis").wait_for()
    consultation = consultation_of(asgi_server, "redis@example.test")
    conn = chat.locator("#pc-conn")

    redis.kill()
    chat.locator("#pc-conn[data-state=reconnecting]").wait_for()
    assert "Menyambung ulang" in conn.inner_text()
    page.screenshot(path=SCREENSHOTS.format("down"))
    assert page.evaluate("window.PSTChat.socket() && window.PSTChat.socket().readyState") == 1  # still open
    send(chat, "pesan saat Redis mati")
    chat.locator(".pc-msg[data-seq] .pc-text", has_text="saat Redis mati").wait_for()  # acknowledged (has a seq)
    asgi_server.call(lambda: post_reply(consultation, by=officer_5102, body="balasan saat Redis mati"))
    chat.locator(".pc-msg-out .pc-text", has_text="balasan saat Redis mati").wait_for()

    redis.start()
    chat.locator("#pc-conn:not([data-state=reconnecting])").wait_for(timeout=20_000)
    assert conn.inner_text() == "Tersambung"
    asgi_server.call(lambda: post_reply(consultation, by=officer_5102, body="balasan setelah pulih"))
    started = time.monotonic()
    chat.locator(".pc-msg-out .pc-text", has_text="balasan setelah pulih").wait_for()
    assert time.monotonic() - started < 1.5  # live again, not the outage's polling
    page.screenshot(path=SCREENSHOTS.format("back"))
    stored = asgi_server.call(lambda: list(consultation.messages.order_by("seq").values_list("body", flat=True)))
    for text in ("pesan sebelum Redis mati", "pesan saat Redis mati", "balasan saat Redis mati"):
        assert text in stored and text in widget_texts(chat)
    assert not page.js_errors  # type: ignore[attr-defined]
    page.context.close()
