from __future__ import annotations

from django.apps import AppConfig


class WebChannelConfig(AppConfig):
    name = "pstdesk.channels.web"
    label = "channel_web"

    def ready(self) -> None:
        # Imported here: models load only now.
        from pstdesk.channels.web import privacy
        from pstdesk.guestbook.erasure import register_holder

        register_holder(privacy)
