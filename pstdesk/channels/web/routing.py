"""The LiveChat socket route, included by `pstdesk/routing.py`."""

from __future__ import annotations

from django.urls import re_path

from pstdesk.channels.web.consumers import WidgetConsumer

websocket_urlpatterns = [
    re_path(r"^ws/widget/(?P<office_code>[0-9]{4})/$", WidgetConsumer.as_asgi()),
]
