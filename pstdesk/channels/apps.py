from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "pstdesk.channels"
    # "channels" is Django Channels' label.
    label = "desk_channels"
    verbose_name = _("Kanal konsultasi")
