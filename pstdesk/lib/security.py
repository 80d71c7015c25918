"""Security headers and error reports: a Content-Security-Policy on every page that has none of its own, and an
exception reporter that never shows a connection URL (database, Redis, SMTP) or a secret on a debug page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.views.debug import SafeExceptionReporterFilter

# Inline event handlers of existing pages, allowed by hash (CSP3 'unsafe-hashes' covers exactly these attributes,
# not inline <script> blocks): the supervision page's office selector and the service standard's print button.
INLINE_HANDLER_HASHES = (
    "'sha256-osjxnKEPL/pQJbFk1dKsF7PYFmTyMWGmVSiL9inhxJY='",  # this.form.submit()
    "'sha256-MguIPR6qNR8D3B+eAlK+bIRTZe8t3wkOY4B/56Me9FU='",  # window.print()
)


def default_policy(request: HttpRequest, *, frame_ancestors: str | None) -> str:
    """The policy of every page without its own (the chat pages set a stricter one): scripts only from this
    service, no plugins, no foreign form targets; sockets to this host. Inline style attributes stay allowed (the
    admin and some forms use them; a style cannot run code)."""
    host = request.get_host()
    ws = ("wss://" if request.is_secure() else "ws://") + host
    directives = [
        "default-src 'self'",
        "script-src 'self' 'unsafe-hashes' " + " ".join(INLINE_HANDLER_HASHES),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        f"connect-src 'self' {ws}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
    if frame_ancestors:
        directives.append(f"frame-ancestors {frame_ancestors}")
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    """Adds `default_policy` to every response that has no Content-Security-Policy yet. A response marked
    `xframe_options_exempt` (meant to be framed elsewhere) gets no frame-ancestors from here."""

    sync_capable = True
    async_capable = True  # no I/O: no thread hop under ASGI

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        return with_policy(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        return with_policy(request, await self.get_response(request))


def with_policy(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if "Content-Security-Policy" not in response:
        exempt = getattr(response, "xframe_options_exempt", False)
        response["Content-Security-Policy"] = default_policy(request, frame_ancestors=None if exempt else "'self'")
    return response


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter hides names with KEY, SECRET, PASS, TOKEN…; connection URLs carry passwords too
    (DATABASE_URL, REDIS_URL, the cache and channel layer locations, the task queue), so those are hidden as well,
    in settings and in request metadata alike."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|DSN|DATABASE|REDIS|CACHES|CHANNEL_LAYERS|HUEY"
        "|EMAIL_HOST",
        flags=re.IGNORECASE,
    )
