from __future__ import annotations

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "pstdesk.channels"
    # "channels" is Django Channels' label.
    label = "desk_channels"
    verbose_name = "Consultation channels"
