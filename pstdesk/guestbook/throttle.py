"""Limits of e-mail verification codes across identities (issue 11).

The per-visitor limits of `actions.start_email_verification` (one code a minute, five an hour, five tries per
code) do not stop a client that makes a fresh visitor for every few tries. These limits count per e-mail
address (whoever asks), per client IP and per office, for codes sent and for codes tried, in the Django cache
(atomic `add`/`incr`, so LocMem and Redis both work):

- sends: per address 3 an hour and 6 a day, and a growing wait between two codes to one address (1, 2, 4, 8 …
  minutes: the owner of an address is never flooded); per IP 30 an hour and 200 a day (an office's kiosk or a
  campus shares one address); per office 300 an hour;
- new visitors made by the public guestbook (page and API): per IP 60 an hour and 300 a day;
- tries: per address 10 an hour and 20 a day, and after 5 wrong codes in a day a growing lock of the address
  (30 s, 1, 2, 4 … minutes, at most an hour); per IP 60 an hour and 300 a day; per office 1,000 an hour.

With 8-digit codes (10^8) and at most 20 tries a day on one address, guessing succeeds with a chance of about
7·10^-5 in a whole year of trying. Cache keys carry an HMAC of the address, never the address.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

HOUR = 3600
DAY = 86400

# (scope, window in seconds, limit)
SEND_LIMITS: tuple[tuple[str, int, int], ...] = (
    ("address", HOUR, 3),
    ("address", DAY, 6),
    ("ip", HOUR, 30),
    ("ip", DAY, 200),
    ("office", HOUR, 300),
)
ATTEMPT_LIMITS: tuple[tuple[str, int, int], ...] = (
    ("address", HOUR, 10),
    ("address", DAY, 20),
    ("ip", HOUR, 60),
    ("ip", DAY, 300),
    ("office", HOUR, 1000),
)
NEW_VISITORS_PER_IP = (("ip", HOUR, 60), ("ip", DAY, 300))  # guestbooks that create a visitor
SEND_WAIT_BASE = 60  # seconds before a second code to one address; doubled for each code of the day
FREE_FAILURES = 5  # wrong codes a day on one address before the lock starts
FAILURE_LOCK_BASE = 30  # seconds of the first lock; doubled for each further wrong code
FAILURE_LOCK_MAX = HOUR


@dataclass(frozen=True)
class Refusal:
    """Why a send or a try is refused, and in how many seconds it may be asked again."""

    scope: str
    retry_after: int


def address_key(address: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), address.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def _subjects(address: str, ip: str, office: Any) -> dict[str, str]:
    subjects = {"address": address_key(address)}
    if ip:
        subjects["ip"] = ip
    if office is not None:
        subjects["office"] = str(getattr(office, "pk", office))
    return subjects


def _count(name: str, subject: str, window: int, now: float) -> tuple[int, int]:
    """Count one use in the current fixed window; (count, seconds until the window ends)."""
    bucket = int(now // window)
    key = f"gb:code:{name}:{subject}:{window}:{bucket}"
    try:
        count = 1 if cache.add(key, 1, timeout=window + 5) else cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return count, int((bucket + 1) * window - now) + 1


def _peek(name: str, subject: str, window: int, now: float) -> int:
    return int(cache.get(f"gb:code:{name}:{subject}:{window}:{int(now // window)}") or 0)


def _hold(key: str, seconds: int, now: float) -> int:
    """Take a lock for `seconds` unless one is held; 0 when taken, else the seconds it still has."""
    until = now + seconds
    if cache.add(key, until, timeout=seconds):
        return 0
    held = cache.get(key)
    return max(1, int((held or until) - now)) if held else 0


def _check(name: str, limits: tuple[tuple[str, int, int], ...], subjects: dict[str, str], now: float) -> Refusal | None:
    refusal: Refusal | None = None
    for scope, window, limit in limits:
        subject = subjects.get(scope)
        if subject is None:
            continue
        count, left = _count(name, f"{scope}:{subject}", window, now)
        if count > limit and (refusal is None or left > refusal.retry_after):
            refusal = Refusal(scope, left)
    return refusal


def allow_send(address: str, *, ip: str = "", office: Any = None) -> Refusal | None:
    """Count a code about to be sent to `address`; a Refusal when any limit says no (then send nothing)."""
    now = time.time()
    subjects = _subjects(address, ip, office)
    # The wait after this code, taken atomically: two racing requests cannot both send.
    sent_today = _peek("send", f"address:{subjects['address']}", DAY, now)
    left = _hold(f"gb:code:wait:{subjects['address']}", SEND_WAIT_BASE * 2 ** min(sent_today, 10), now)
    if left:
        return Refusal("address", left)
    return _check("send", SEND_LIMITS, subjects, now)


def allow_attempt(address: str, *, ip: str = "", office: Any = None) -> Refusal | None:
    """Count one try of a code sent to `address`; a Refusal when any limit or the failure lock says no (then the
    code is not even compared)."""
    now = time.time()
    subjects = _subjects(address, ip, office)
    locked = cache.get(f"gb:code:lock:{subjects['address']}")
    if locked and locked > now:
        return Refusal("address", int(locked - now) + 1)
    return _check("try", ATTEMPT_LIMITS, subjects, now)


def record_failure(address: str) -> None:
    """A wrong code for `address`: past FREE_FAILURES in a day, lock the address for a growing time."""
    now = time.time()
    subject = address_key(address)
    failures, _left = _count("fail", f"address:{subject}", DAY, now)
    if failures >= FREE_FAILURES:
        seconds = min(FAILURE_LOCK_MAX, FAILURE_LOCK_BASE * 2 ** (failures - FREE_FAILURES))
        cache.set(f"gb:code:lock:{subject}", now + seconds, timeout=seconds)


def record_success(address: str) -> None:
    cache.delete(f"gb:code:lock:{address_key(address)}")


def allow_new_visitor(ip: str) -> Refusal | None:
    """Count a guestbook that creates a new visitor from `ip` (fresh identities are what code guessing needs)."""
    if not ip:
        return None
    return _check("new", NEW_VISITORS_PER_IP, {"ip": ip}, time.time())
