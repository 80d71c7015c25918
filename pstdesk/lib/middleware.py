"""Django's own middleware, run without a thread hop under ASGI.

Django's middleware is async-capable through `MiddlewareMixin`, whose async path runs every `process_request` and
`process_response` in a thread (`sync_to_async`): seven of them cost 13 thread hops per request before the view's
own. The subclasses here call the methods that do no I/O directly on the event loop, and hop to a thread only for the
cases that touch the database: a session to save, messages to store, the CSRF check of an unsafe request (it reads
the form and may render the failure page). Under WSGI and the test client (sync mode) they are Django's classes
unchanged. Settings list these instead of Django's; `pstdesk.lib.tests.test_async_middleware` proves the chain has
no sync-only middleware and answers under ASGI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponseBase
from django.middleware import clickjacking, common, csrf, security

View = Callable[..., Any]


class InlineMixin:
    """For a `MiddlewareMixin` whose `process_request` and `process_response` do no I/O: in async mode they run on
    the event loop. `_needs_thread(request, response)` names the responses whose `process_response` must hop."""

    get_response: Any  # an async callable here (MiddlewareMixin's async mode)

    def _needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        return False

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response = None
        process_request = getattr(self, "process_request", None)
        if process_request is not None:
            response = process_request(request)
        response = response or await self.get_response(request)
        process_response = getattr(self, "process_response", None)
        if process_response is not None:
            if self._needs_thread(request, response):
                return await sync_to_async(process_response, thread_sensitive=True)(request, response)  # type: ignore[no-any-return]
            response = process_response(request, response)
        return response  # type: ignore[no-any-return]


class SecurityMiddleware(InlineMixin, security.SecurityMiddleware):
    """HTTPS redirect and security headers: no I/O."""


class CommonMiddleware(InlineMixin, common.CommonMiddleware):
    """Host check, slash redirect (URL resolution) and Content-Length: no I/O."""


class AuthenticationMiddleware(InlineMixin, auth.AuthenticationMiddleware):
    """Installs the lazy `request.user` / `request.auser`: nothing is read until a view asks."""


class XFrameOptionsMiddleware(InlineMixin, clickjacking.XFrameOptionsMiddleware):
    """One header: no I/O."""


class SessionMiddleware(InlineMixin, sessions.SessionMiddleware):
    """Opening the session store reads nothing; saving a changed session writes to the database (a thread)."""

    def _needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        session = getattr(request, "session", None)
        return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


class MessageMiddleware(InlineMixin, messages.MessageMiddleware):
    """Opening the message storage reads nothing; storing messages added or shown may touch the session (a
    thread)."""

    def _needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        storage = getattr(request, "_messages", None)
        return storage is not None and (storage.used or storage.added_new)


class CsrfViewMiddleware(InlineMixin, csrf.CsrfViewMiddleware):
    """The token cookie is read and set without I/O (CSRF_USE_SESSIONS is off). The check of an unsafe request reads
    its form and may render the failure page, so it runs in a thread; a safe one is accepted on the loop."""

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        if self.async_mode and not settings.CSRF_USE_SESSIONS:  # the handler adapts what it finds on the instance
            self.process_view = self._aprocess_view  # type: ignore[method-assign,assignment]

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.CSRF_USE_SESSIONS:  # the token lives in the session: Django's way, in a thread
            return await csrf.CsrfViewMiddleware.__acall__(self, request)
        return await InlineMixin.__acall__(self, request)

    async def _aprocess_view(
        self, request: HttpRequest, callback: View, callback_args: tuple[Any, ...], callback_kwargs: dict[str, Any]
    ) -> HttpResponseBase | None:
        check = csrf.CsrfViewMiddleware.process_view
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return check(self, request, callback, callback_args, callback_kwargs)
        return await sync_to_async(check, thread_sensitive=True)(
            self, request, callback, callback_args, callback_kwargs
        )
