"""The ASGI application `pstdesk serve` runs: the project's (`pstdesk.asgi`) behind `TrustedProxyMiddleware`."""

from __future__ import annotations

from pstdesk.asgi import application as project_application
from pstdesk.lib.proxies import TrustedProxyMiddleware

application = TrustedProxyMiddleware(project_application)
