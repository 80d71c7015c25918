"""The socket's rate limits, counted from the event loop: the same keys and windows as the HTTP endpoints' `hit`,
on the in-process cache and on Redis (one pipelined round trip)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import caches

from pstdesk.channels.web import limits

REDIS = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="Redis runs in the PostgreSQL + Redis leg")


@pytest.fixture(params=["locmem", pytest.param("redis", marks=REDIS)])
def shared_cache(request: Any, settings: Any) -> None:
    if request.param == "redis":
        location = os.environ["REDIS_URL"]
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    caches["default"].clear()
    limits._shared_down_until = 0.0


def test_socket_and_http_counts_share_one_window(shared_cache: None, settings: Any) -> None:
    settings.WIDGET_MESSAGES_PER_MINUTE = 3
    settings.WIDGET_MESSAGES_PER_MINUTE_PER_IP = 100

    async def socket_hit() -> bool:
        return await limits.ahit(("message_visitor", "s1"), ("message_ip", "203.0.113.9"))

    assert async_to_sync(socket_hit)() and async_to_sync(socket_hit)()
    assert limits.hit("message_visitor", "s1")  # the third use of the window, through the sync path
    assert not async_to_sync(socket_hit)()  # the fourth is refused
    assert limits.hit("message_visitor", "s2")  # another visitor has their own count
    caches["default"].clear()
