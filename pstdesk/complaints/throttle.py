"""The limit on guessing tracking numbers: misses of the public tracking page, counted per client address in the
Django cache (atomic `add`/`incr`, so LocMem and Redis both work).

A number found is never counted (a complainant may reload their page as often as they like). Past the limit every
lookup from that address is refused with 429 before the database is asked, hits included: a guesser must not
learn from the difference between "refused" and "found". With 2^30 numbers per office and a few thousand
complaints, 60 misses a day give one address about one chance in 5,000 a year of hitting any complaint.
"""

from __future__ import annotations

import time

from django.core.cache import cache

# (window in seconds, misses allowed in it)
MISS_LIMITS: tuple[tuple[int, int], ...] = ((600, 10), (86400, 60))


def _key(ip: str, window: int, bucket: int) -> str:
    return f"complaints:track-miss:{ip}:{window}:{bucket}"


def retry_after(ip: str, now: float | None = None) -> int:
    """Seconds until `ip` may look up a tracking number again; 0 when it may now."""
    now = time.time() if now is None else now
    wait = 0
    for window, limit in MISS_LIMITS:
        bucket = int(now // window)
        if int(cache.get(_key(ip, window, bucket)) or 0) >= limit:
            wait = max(wait, int((bucket + 1) * window - now) + 1)
    return wait


def count_miss(ip: str, now: float | None = None) -> None:
    """Count one lookup of a number that does not exist."""
    now = time.time() if now is None else now
    for window, _limit in MISS_LIMITS:
        key = _key(ip, window, int(now // window))
        try:
            if not cache.add(key, 1, timeout=window + 5):
                cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 5)
