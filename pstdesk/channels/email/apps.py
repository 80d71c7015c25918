from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from pstdesk.channels.email.seeding import load_seed_mailboxes


def _load_mailboxes(sender: AppConfig, **kwargs: Any) -> None:

    load_seed_mailboxes()


class EmailChannelConfig(AppConfig):
    name = "pstdesk.channels.email"
    label = "channel_email"
    verbose_name = _("Kanal e-mail")

    def ready(self) -> None:
        # Imported here: models load only now.
        from pstdesk.channels.email import privacy
        from pstdesk.guestbook.erasure import register_holder

        post_migrate.connect(_load_mailboxes, sender=self)
        register_holder(privacy)
