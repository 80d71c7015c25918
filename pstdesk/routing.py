"""WebSocket routes of every app."""

from __future__ import annotations

from typing import Any

from django.urls import path

from pstdesk.channels.web.routing import websocket_urlpatterns as web_channel_routes
from pstdesk.consultations.console.consumers import ConsoleConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/console/", ConsoleConsumer.as_asgi()),
    *web_channel_routes,
]
