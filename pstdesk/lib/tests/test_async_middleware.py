"""HTTP without needless hops: under ASGI no middleware of settings.MIDDLEWARE is sync-only (Django logs every
adaptation of one at DEBUG on django.request), and the chain still does its work on the event loop: security and
CSP headers, language, HEAD, the session saved at login, CSRF refusals, the two-factor redirect. Static files are
answered in front of Django with WhiteNoise's caching headers and the same security headers.

The requests go through Django's AsyncClient (the async handler with this MIDDLEWARE) and, for static files, through
`pstdesk.asgi.application` itself (httpx's ASGI transport); `pstdesk serve` is covered in runtime/tests/
test_embedded.py.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient
from django.utils.module_loading import import_string

from pstdesk.accounts.actions import set_security_policy
from pstdesk.asgi import application, django_asgi_app

ADAPTED = "adapted for middleware"


def adaptations(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What Django logs while it builds the async middleware chain (DEBUG only): one line per sync↔async hop."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        handler = ASGIHandler()
    assert handler._middleware_chain is not None
    return [r.getMessage() for r in caplog.records if ADAPTED in r.getMessage()]


def test_no_middleware_is_adapted_under_asgi(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.DEBUG = True
    assert adaptations(caplog) == []
    for path in settings.MIDDLEWARE:
        assert getattr(import_string(path), "async_capable", False), path
    # Every process_view (CSRF's) runs on the loop too.
    handler = ASGIHandler()
    assert all(iscoroutinefunction(method) for method in handler._view_middleware)
    # The check sees a sync-only middleware (WhiteNoise's, as before): it is adapted, and logged.
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "whitenoise.middleware.WhiteNoiseMiddleware"]
    assert adaptations(caplog) == [
        "Asynchronous handler adapted for middleware whitenoise.middleware.WhiteNoiseMiddleware."
    ]


@pytest.mark.django_db
def test_pages_through_the_async_chain(officer_5102: Any, admin_5102: Any, office_5102: Any) -> None:
    set_security_policy(office_5102, require_admin_two_factor=True, by=admin_5102)

    async def scenario() -> dict[str, Any]:
        anonymous = AsyncClient()
        page = await anonymous.get("/standar/5102/?lang=en")
        head = await anonymous.head("/standar/5102/")
        refused = await AsyncClient(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "en"})
        officer = AsyncClient()
        login = await officer.post("/accounts/login/", {"username": "ayu", "password": "pass-ayu"})
        console = await officer.get("/console/")
        admin = AsyncClient()
        await admin.aforce_login(admin_5102)
        owed = await admin.get("/console/")
        return {"page": page, "head": head, "refused": refused, "login": login, "console": console, "owed": owed}

    seen = async_to_sync(scenario)()
    page = seen["page"]
    assert page.status_code == 200 and page["Content-Language"] == "en"
    assert "default-src 'self'" in page["Content-Security-Policy"]
    assert page["X-Content-Type-Options"] == "nosniff" and page["X-Frame-Options"] == "DENY"
    assert page["Referrer-Policy"] == "same-origin" and int(page["Content-Length"]) == len(page.content)
    head = seen["head"]
    assert head.status_code == 200 and head.content == b"" and int(head["Content-Length"]) > 0
    assert seen["refused"].status_code == 403
    # The login saved its session (a thread hop, only then) and the next request is the officer's.
    assert seen["login"].status_code == 302 and seen["login"]["Location"] == "/console/"
    assert seen["console"].status_code == 200 and "ayu" in seen["console"].content.decode()
    # An admin whose office now requires a second factor is sent to enrol first.
    assert seen["owed"].status_code == 302 and seen["owed"]["Location"].startswith("/accounts/keamanan/aktifkan/")


def test_static_files_are_answered_in_front_of_django() -> None:
    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            first = await client.get("/static/pstdesk/site.css")
            again = await client.get("/static/pstdesk/site.css", headers={"If-None-Match": first.headers["ETag"]})
            head = await client.head("/static/pstdesk/site.css")
            return [first, again, head]

    first, again, head = async_to_sync(scenario)()
    assert first.status_code == 200 and "@media print" in first.text
    assert first.headers["Content-Type"].startswith("text/css")
    assert first.headers["Cache-Control"] == "max-age=60, public"
    assert "default-src 'self'" in first.headers["Content-Security-Policy"]
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert int(first.headers["Content-Length"]) == len(first.content)
    assert again.status_code == 304 and again.content == b""
    assert (
        head.status_code == 200
        and head.content == b""
        and head.headers["Content-Length"] == first.headers["Content-Length"]
    )
    assert settings.STATIC_URL == "/static/"


def test_requests_take_their_thread_from_a_pool() -> None:
    """Sequential requests reuse one thread (Django alone would start two threads per request)."""
    pool = django_asgi_app.threads

    def request_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("request")}

    async def scenario() -> list[int]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [(await client.get("/healthz")).status_code for _ in range(5)]

    async_to_sync(scenario)()  # the pool has a thread
    before, idle = request_threads(), list(pool.idle)
    assert async_to_sync(scenario)() == [200] * 5
    assert request_threads() == before and pool.idle == idle and len(idle) >= 1
