"""The ASGI application `pstdesk serve` runs: the project's (`pstdesk.asgi`) behind `TrustedProxyMiddleware`, with
the provider webhooks' signed POSTs answered before Django (`channels.webhooks.WebhookASGI`: store, then 200)."""

from __future__ import annotations

from pstdesk.asgi import application as project_application
from pstdesk.channels.webhooks import WebhookASGI
from pstdesk.lib.proxies import TrustedProxyMiddleware

application = TrustedProxyMiddleware(WebhookASGI(project_application))
