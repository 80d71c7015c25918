from __future__ import annotations

from django.apps import AppConfig


class WebChannelConfig(AppConfig):
    name = "pstdesk.channels.web"
    label = "channel_web"
