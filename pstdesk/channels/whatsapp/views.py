"""The WhatsApp webhook: `GET` verification handshake and signed `POST` deliveries.

Without sessions or CSRF (Meta signs the body instead): the hot path is the signature check, one insert of the raw
body and the processing in `webhook.process_delivery`, answered only after it has committed.

The view is async and hands the processing to Django's one thread for sync work (`thread_sensitive`), which
reuses its database connection; on PostgreSQL connections come from the per-process pool (settings), so load
never exhausts `max_connections`.
"""

from __future__ import annotations

import hmac

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from pstdesk.channels.whatsapp.parsing import signature_valid
from pstdesk.channels.whatsapp.webhook import handle_post


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
    status = await sync_to_async(handle_post)(body)
    return HttpResponse("OK" if status == 200 else "retry", status=status, content_type="text/plain")


def verify(request: HttpRequest) -> HttpResponse:
    """Meta's subscription handshake: echo `hub.challenge` when the mode and our verify token match."""
    token = settings.WHATSAPP_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    if token and request.GET.get("hub.mode") == "subscribe" and hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponse("Forbidden", status=403, content_type="text/plain")
