"""HEAD answers wherever GET does (RFC 9110 §9.3.2): the same status and headers, no body.

Views declare the methods they accept (`require_GET`, ninja's `@router.get`), and most of them forget HEAD, which
monitoring probes, link checkers and caches send. This middleware runs such a request as a GET, so every view
answers it exactly like the GET (access checks included, and a GET never changes state), then drops the body and
keeps its Content-Length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse


class HeadAsGetMiddleware:
    """Sync and async (no thread hop under ASGI): the same steps either way."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        return without_body(response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD":
            return await self.get_response(request)  # type: ignore[no-any-return]  # get_response is untyped
        request.method = "GET"
        try:
            response = await self.get_response(request)
        finally:
            request.method = "HEAD"
        return without_body(response)


def without_body(response: HttpResponseBase) -> HttpResponseBase:
    """GET's answer with its headers and no body."""
    if isinstance(response, StreamingHttpResponse):
        # The body is never read. Not `response.close()` here: that fires `request_finished` in the middle of
        # the request (closing the database connection before the session is saved); the server closes the
        # response, and with it a file response's file, when the request ends.
        response.streaming_content = []
    elif isinstance(response, HttpResponse):
        if not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        response.content = b""
    return response
