"""HEAD answers wherever GET does (RFC 9110 §9.3.2): the same status and headers, no body.

Views declare the methods they accept (`require_GET`, ninja's `@router.get`), and most of them forget HEAD, which
monitoring probes, link checkers and caches send. This middleware runs such a request as a GET, so every view
answers it exactly like the GET (access checks included, and a GET never changes state), then drops the body and
keeps its Content-Length.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse


class HeadAsGetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if isinstance(response, StreamingHttpResponse):
            # The body is never read. Not `response.close()` here: that fires `request_finished` in the middle of
            # the request (closing the database connection before the session is saved); the server closes the
            # response, and with it a file response's file, when the request ends.
            response.streaming_content = []
        elif not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        else:
            response.content = b""
        return response
