from __future__ import annotations

from django.apps import AppConfig


class EmailChannelConfig(AppConfig):
    name = "pstdesk.channels.email"
    label = "channel_email"
