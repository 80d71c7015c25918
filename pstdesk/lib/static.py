"""Static files off the request path: WhiteNoise's file index answered in front of Django.

WhiteNoise's Django middleware is sync-only: in the middleware chain it made every request of every page hop to a
thread and back. `StaticFilesASGI` wraps the project's HTTP application instead: a request for a known static file
is answered on the event loop, with WhiteNoise's caching headers (ETag, Last-Modified, Cache-Control, compressed
variants, ranges) and the headers every other answer gets from the security and CSP middleware (the same classes,
run on the loop); anything else goes to Django untouched. It opens no database connection and sends no request
signals.

`static_file` serves the same index as a Django view for where no ASGI wrapper runs (the test client, WSGI): the
URL pattern `static/<path>` only answers what the wrapper did not.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponseBase
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.responders import StaticFile

from pstdesk.lib.middleware import SecurityMiddleware
from pstdesk.lib.security import ContentSecurityPolicyMiddleware

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]

CHUNK = 64 * 1024


@functools.cache
def index() -> WhiteNoiseMiddleware:
    """WhiteNoise's index of STATIC_ROOT and (WHITENOISE_USE_FINDERS) the apps' static folders, built once."""
    return WhiteNoiseMiddleware()


def find(path_info: str) -> StaticFile | None:
    files = index()
    if files.autorefresh:  # DEBUG: files added while the server runs are found
        return files.find_file(path_info)
    return files.files.get(path_info)


def static_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """The view: the file at `request.path_info`, or 404."""
    found = find(request.path_info)
    if found is None:
        raise Http404(path)
    return WhiteNoiseMiddleware.serve(found, request)  # type: ignore[no-any-return]


async def _serve(request: HttpRequest) -> HttpResponseBase:
    return WhiteNoiseMiddleware.serve(request.static_file, request)  # type: ignore[attr-defined,no-any-return]


class StaticFilesASGI:
    """ASGI: static files answered here, everything else passed to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.prefix = index().static_prefix
        # The headers every answer carries (HTTPS redirect, nosniff, referrer policy, HSTS, CSP): the same
        # middleware as in settings.MIDDLEWARE, in async mode, so no thread hop.
        self.chain = SecurityMiddleware(ContentSecurityPolicyMiddleware(_serve))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        found = find(scope["path"])
        if found is None:
            return await self.app(scope, receive, send)
        request = ASGIRequest(scope, io.BytesIO())
        request.static_file = found  # type: ignore[attr-defined]
        try:
            response = await self.chain.__acall__(request)
        except DisallowedHost:  # Django answers a foreign Host header as for any page (400, logged)
            return await self.app(scope, receive, send)
        await send_response(response, send)


async def send_response(response: HttpResponseBase, send: Send) -> None:
    """A file response's file in chunks (read on the loop: static files are small and in the page cache), or any
    other response's content."""
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
    headers += [(b"set-cookie", cookie.output(header="").strip().encode()) for cookie in response.cookies.values()]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    stream = getattr(response, "file_to_stream", None)
    if stream is None:
        body = b"" if response.streaming else response.content  # type: ignore[attr-defined]
        await send({"type": "http.response.body", "body": body})
        return
    try:
        while chunk := stream.read(CHUNK):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        stream.close()
