from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_demo_ids(sender: AppConfig, **kwargs: Any) -> None:
    # models load after the app registry: seeding imports them, and this module is imported while apps load
    from pstdesk.channels.whatsapp.seeding import load_demo_whatsapp_ids

    load_demo_whatsapp_ids()


class WhatsAppChannelConfig(AppConfig):
    name = "pstdesk.channels.whatsapp"
    label = "channel_whatsapp"
    verbose_name = _("Kanal WhatsApp")

    def ready(self) -> None:
        # Imported here: models load only now.
        from pstdesk.channels.whatsapp import (
            checks,  # noqa: F401  (registers the secrets check)
            privacy,
        )
        from pstdesk.guestbook.erasure import register_holder

        post_migrate.connect(_load_demo_ids, sender=self)
        register_holder(privacy)
