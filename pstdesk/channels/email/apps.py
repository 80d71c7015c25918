from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_mailboxes(sender: AppConfig, **kwargs: Any) -> None:
    from pstdesk.channels.email.seeding import load_seed_mailboxes

    load_seed_mailboxes()


class EmailChannelConfig(AppConfig):
    name = "pstdesk.channels.email"
    label = "channel_email"
    verbose_name = _("Kanal e-mail")

    def ready(self) -> None:
        post_migrate.connect(_load_mailboxes, sender=self)
