"""Login throttling for the console and the admin: after LOGIN_FAILURES_PER_ACCOUNT failed passwords for one user
name, or LOGIN_FAILURES_PER_IP failed logins from one client address, further logins of that name or from that
address are refused (even with the right password) until LOGIN_LOCKOUT_SECONDS have passed since the last failure.

The counters live in the Django cache (Redis when REDIS_URL is set, so every web process shares them; the embedded
profile's one process otherwise). A success clears the account's counter, never the address's. User names are
counted whether or not the account exists (the lock says nothing about which names exist) and stored hashed.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from pstdesk.lib.proxies import client_ip

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lock:
    """Why logins are refused and for how many more seconds."""

    scope: str  # "account" or "ip"
    seconds_left: int

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60))


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login:fail:{scope}:{digest}"


def _limits() -> dict[str, int]:
    return {"account": settings.LOGIN_FAILURES_PER_ACCOUNT, "ip": settings.LOGIN_FAILURES_PER_IP}


def _subjects(request: HttpRequest | None, username: str) -> list[tuple[str, str]]:
    subjects = [("account", username or "")]
    if request is not None:
        subjects.append(("ip", client_ip(request.META)))
    return subjects


def current_lock(request: HttpRequest | None, username: str) -> Lock | None:
    """The lock that refuses this login attempt now, if any (the one that lasts longer)."""
    now = time.time()
    window = settings.LOGIN_LOCKOUT_SECONDS
    locks = []
    for scope, value in _subjects(request, username):
        key = _key(scope, value)
        count = cache.get(key) or 0
        if count >= _limits()[scope]:
            last = float(cache.get(f"{key}:at") or now)
            locks.append(Lock(scope, max(1, int(last + window - now))))
    return max(locks, key=lambda lock: lock.seconds_left, default=None)


def record_failure(request: HttpRequest | None, username: str) -> None:
    """Count one failed login for the user name and the client address; each failure restarts the lock time."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    for scope, value in _subjects(request, username):
        key = _key(scope, value)
        if cache.add(key, 1, timeout=window):
            count = 1
        else:
            try:
                count = cache.incr(key)
                cache.touch(key, window)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=window)
                count = 1
        cache.set(f"{key}:at", time.time(), timeout=window)
        if count == _limits()[scope]:
            log.warning("login locked for %s s after %s failures (%s)", window, count, scope)


def record_success(username: str) -> None:
    """A successful login clears the account's failures (not the address's: one right password among many guesses
    from one address must not reopen it)."""
    key = _key("account", username or "")
    cache.delete_many([key, f"{key}:at"])
