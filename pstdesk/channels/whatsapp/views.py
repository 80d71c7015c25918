"""The WhatsApp webhook through Django: the `GET` verification handshake, and signed `POST` deliveries where the
ASGI handler in front of Django (`channels.webhooks.WebhookASGI`) does not answer them (the test client, a WSGI
server). Without sessions or CSRF (Meta signs the body instead).

A POST stores the raw body with one statement and is answered after that commit; a worker processes it later.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from pstdesk.channels.webhooks import UNAVAILABLE
from pstdesk.channels.whatsapp.webhook import intake, log


@csrf_exempt
def webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return verify(request)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    body = request.body
    refused = intake.check_signature(body, {k.lower(): v for k, v in request.headers.items()})
    if refused is not None:
        return HttpResponse(refused[1], status=refused[0], content_type="text/plain")
    try:
        intake.store(body)
    except UNAVAILABLE:
        log.warning("WhatsApp webhook: database unavailable, asking Meta to redeliver", exc_info=True)
        return HttpResponse("retry", status=503, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")


def verify(request: HttpRequest) -> HttpResponse:
    """Meta's subscription handshake: echo `hub.challenge` when the mode and our verify token match."""
    token = settings.WHATSAPP_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    if token and request.GET.get("hub.mode") == "subscribe" and hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponse("Forbidden", status=403, content_type="text/plain")
