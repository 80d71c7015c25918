"""Abuse limits of the LiveChat channel: fixed-window rate limits in the Django cache, and the origins allowed
to embed the widget or open its socket."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from pstdesk.lib import proxies

log = logging.getLogger(__name__)

# name -> (setting, default per minute)
LIMITS: dict[str, tuple[str, int]] = {
    "message_visitor": ("WIDGET_MESSAGES_PER_MINUTE", 20),
    "message_ip": ("WIDGET_MESSAGES_PER_MINUTE_PER_IP", 60),
    "session_ip": ("WIDGET_SESSIONS_PER_MINUTE_PER_IP", 10),
    "verify_visitor": ("WIDGET_VERIFY_PER_MINUTE", 5),
    "upload_visitor": ("WIDGET_UPLOADS_PER_MINUTE", 10),
    "offline_ip": ("WIDGET_OFFLINE_PER_MINUTE_PER_IP", 5),
    "transcript_visitor": ("WIDGET_TRANSCRIPTS_PER_MINUTE", 2),
    "typing_visitor": ("WIDGET_TYPING_PER_MINUTE", 60),
}


def limit_of(name: str) -> int:
    setting, default = LIMITS[name]
    return int(getattr(settings, setting, default))


# Counts kept in this process while the shared cache (Redis) is unreachable: the limits still hold per process,
# and the chat keeps answering instead of failing with a 500.
_local = LocMemCache("webchat-limits-fallback", {})
# After a failure the shared cache is left alone for a few seconds: every request paying a connection attempt
# (and its retries) to a dead server would slow the whole chat down.
SHARED_RETRY_SECONDS = 5.0
_shared_down_until = 0.0


def hit(name: str, key: Any, *, window: int = 60) -> bool:
    """Count one use of `name` by `key`; False when the limit of the current window is exceeded."""
    limit = limit_of(name)
    bucket = int(time.time() // window)
    cache_key = f"webchat:rl:{name}:{key}:{bucket}"
    global _shared_down_until
    if time.monotonic() >= _shared_down_until:
        try:
            return _count(cache, cache_key, window) <= limit
        except Exception:  # the cache server is down (redis ConnectionError, timeouts…)
            log.warning("rate-limit cache unavailable: counting in this process", exc_info=True)
            _shared_down_until = time.monotonic() + SHARED_RETRY_SECONDS
    return _count(_local, cache_key, window) <= limit


# One asyncio Redis client per event loop (a client belongs to the loop it was made on).
_async_clients: dict[int, tuple[asyncio.AbstractEventLoop, aioredis.Redis]] = {}


def _async_client(location: str) -> aioredis.Redis:
    loop = asyncio.get_running_loop()
    held = _async_clients.get(id(loop))
    if held is None or held[0] is not loop:
        held = (loop, aioredis.Redis.from_url(location, socket_timeout=2, socket_connect_timeout=2))
        _async_clients[id(loop)] = held
    return held[1]


async def ahit(*checks: tuple[str, Any], window: int = 60) -> bool:
    """`hit` for every (name, key) of `checks`, from the event loop without blocking it: with the shared cache on
    Redis, all of them in one pipelined round trip (the same keys and counts `hit` uses); with the in-process
    cache, counted in place. False when any limit of the current window is exceeded (every one is counted)."""
    bucket = int(time.time() // window)
    keys = [(name, f"webchat:rl:{name}:{key}:{bucket}") for name, key in checks]
    global _shared_down_until
    backend = caches["default"]
    if time.monotonic() >= _shared_down_until:
        if not isinstance(backend, RedisCache):
            try:
                return all(_count(backend, key, window) <= limit_of(name) for name, key in keys)
            except Exception:
                log.warning("rate-limit cache unavailable: counting in this process", exc_info=True)
                _shared_down_until = time.monotonic() + SHARED_RETRY_SECONDS
        else:
            try:
                location = settings.CACHES["default"]["LOCATION"]
                if not isinstance(location, str):
                    location = location[0]  # the first server: the one Django's client writes to
                pipe = _async_client(location).pipeline(transaction=False)
                for _name, key in keys:
                    full = backend.make_and_validate_key(key)
                    pipe.set(full, 0, ex=window + 5, nx=True)
                    pipe.incr(full)
                counts = (await pipe.execute())[1::2]
                return all(int(count) <= limit_of(name) for (name, _key), count in zip(keys, counts, strict=True))
            except Exception:
                log.warning("rate-limit cache unavailable: counting in this process", exc_info=True)
                _shared_down_until = time.monotonic() + SHARED_RETRY_SECONDS
    return all(_count(_local, key, window) <= limit_of(name) for name, key in keys)


def _count(store: Any, cache_key: str, window: int) -> int:
    try:
        if store.add(cache_key, 1, timeout=window + 5):
            count = 1
        else:
            count = store.incr(cache_key)
    except ValueError:  # the key expired between add and incr
        store.set(cache_key, 1, timeout=window + 5)
        count = 1
    return int(count)


def normalise_origin(value: str) -> str:
    """scheme://host[:port] in lower case, or "" for anything else ("null", paths are dropped)."""
    value = (value or "").strip()
    if not value or value == "null":
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{host}{port}"


def office_origins(office: Any) -> list[str]:
    """The origins an office's widget may be embedded on: `Office.website_origins` plus
    `settings.WIDGET_EXTRA_ORIGINS` (tests and staging hosts)."""
    extra: Iterable[str] = getattr(settings, "WIDGET_EXTRA_ORIGINS", ()) or ()
    origins = [normalise_origin(o) for o in [*(office.website_origins or []), *extra]]
    return sorted({o for o in origins if o})


def own_origins(host: str, secure: bool) -> set[str]:
    """This service's origins: the PUBLIC_URL and the host the request came to (the frame and the PFA page)."""
    origins = {normalise_origin(settings.PUBLIC_URL)}
    if host:
        origins.add(normalise_origin(("https://" if secure else "http://") + host))
    return {o for o in origins if o}


def socket_origin_allowed(origin: str, office: Any, *, host: str, secure: bool) -> bool:
    """May a socket with this Origin header talk to `office`'s chat? Our own pages (the frame, the PFA page) and
    the office's own website origins; anything else (another site, no Origin at all) is refused."""
    origin = normalise_origin(origin)
    if not origin:
        return False
    return origin in own_origins(host, secure) or origin in office_origins(office)


def frame_ancestors(office: Any) -> str:
    """The CSP frame-ancestors source list of an office's widget frame."""
    return " ".join(["'self'", *office_origins(office)])


def client_ip(meta_or_scope: Any) -> str:
    """The client address of a request (META) or an ASGI scope: `pstdesk.lib.proxies.client_ip` (TRUSTED_PROXIES)."""
    return proxies.client_ip(meta_or_scope)
