from __future__ import annotations

from django.apps import AppConfig


class WhatsAppChannelConfig(AppConfig):
    name = "pstdesk.channels.whatsapp"
    label = "channel_whatsapp"
