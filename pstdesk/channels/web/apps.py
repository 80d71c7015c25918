from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebChannelConfig(AppConfig):
    name = "pstdesk.channels.web"
    verbose_name = _("Kanal LiveChat")
    label = "channel_web"

    def ready(self) -> None:
        # Imported here: models load only now.
        from pstdesk.channels.web import privacy
        from pstdesk.guestbook.erasure import register_holder

        register_holder(privacy)
