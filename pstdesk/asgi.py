"""ASGI entry point: HTTP through Django (static files answered in front of it, requests' threads from a pool:
`pstdesk.lib.handler`), WebSockets through Django Channels."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pstdesk.settings")

import django  # noqa: E402

django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from pstdesk.lib.handler import ASGIHandler  # noqa: E402

django_asgi_app = ASGIHandler()

from channels.auth import AuthMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402, F401
from channels.sessions import CookieMiddleware, SessionMiddleware  # noqa: E402

from pstdesk.lib.static import StaticFilesASGI  # noqa: E402
from pstdesk.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": StaticFilesASGI(django_asgi_app),
        # Origin checks happen per consumer: the widget is embedded on office websites, the console is not.
        "websocket": CookieMiddleware(SessionMiddleware(AuthMiddleware(URLRouter(websocket_urlpatterns)))),
    }
)
