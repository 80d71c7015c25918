"""Emptying the channel layer between tests."""

from __future__ import annotations

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings


def flush_channel_layer() -> None:
    """Drop every queued message and group of the channel layer.

    channels_redis's own `flush()` also closes its connection pools, which fails when a pool belongs to another
    event loop (the live server's thread); with Redis the keys are deleted with a plain client instead.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    if not settings.REDIS_URL:
        async_to_sync(layer.flush)()
        return

    prefix = getattr(layer, "prefix", "asgi")
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
