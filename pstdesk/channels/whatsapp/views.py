"""The WhatsApp webhook: `GET` verification handshake and signed `POST` deliveries.

Without sessions or CSRF (Meta signs the body instead): the hot path is the signature check, one insert of the raw
body and the processing in `webhook.process_delivery`, answered only after it has committed.

The view is async so that the database work runs where it is cheapest. Under ASGI every request gets a thread of
its own, and a thread that ends leaves its database connection behind (on PostgreSQL, with persistent connections,
enough of them exhaust `max_connections` under load: "sorry, too many clients already"). On PostgreSQL the
processing therefore runs on a small pool of long-lived threads, each reusing its own connection. SQLite
takes one writer at a time: there the deliveries are processed one after another by this process instead of
waiting on the database lock (whose busy handler sleeps in steps of up to 100 ms).
"""

from __future__ import annotations

import hmac
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from pstdesk.channels.whatsapp.parsing import signature_valid
from pstdesk.channels.whatsapp.webhook import handle_post

_one_writer = threading.Lock()
# PostgreSQL: a few long-lived threads, each keeping its connection (more only add GIL contention: the process's
# Python work runs one thread at a time).
_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="whatsapp-db")


def _process_one_at_a_time(body: bytes) -> int:
    """SQLite: in the request's own thread (whose connection Django closes at the end of the request)."""
    with _one_writer:
        return handle_post(body)


def _process_pooled(body: bytes) -> int:
    """PostgreSQL: on a long-lived pool thread, whose connection is kept for reuse but, like a request's, dropped
    when it has failed or outlived CONN_MAX_AGE."""
    close_old_connections()
    try:
        return handle_post(body)
    finally:
        close_old_connections()


@csrf_exempt
async def webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return verify(request)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    header = request.headers.get("X-Hub-Signature-256", "")
    if not header:
        return HttpResponse("missing signature", status=401, content_type="text/plain")
    body = request.body
    if not signature_valid(settings.WHATSAPP_APP_SECRET, body, header):
        return HttpResponse("invalid signature", status=403, content_type="text/plain")
    if connections["default"].vendor == "postgresql":
        status = await sync_to_async(_process_pooled, thread_sensitive=False, executor=_pool)(body)
    else:
        status = await sync_to_async(_process_one_at_a_time)(body)
    return HttpResponse("OK" if status == 200 else "retry", status=status, content_type="text/plain")


def verify(request: HttpRequest) -> HttpResponse:
    """Meta's subscription handshake: echo `hub.challenge` when the mode and our verify token match."""
    token = settings.WHATSAPP_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    if token and request.GET.get("hub.mode") == "subscribe" and hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponse("Forbidden", status=403, content_type="text/plain")
