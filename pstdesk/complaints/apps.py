from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_compensation_options(sender: AppConfig, **kwargs: Any) -> None:
    from pstdesk.complaints.seeding import load_compensation_options

    load_compensation_options()


class ComplaintsConfig(AppConfig):
    name = "pstdesk.complaints"
    verbose_name = _("Pengaduan dan kompensasi")

    def ready(self) -> None:
        from pstdesk.complaints import privacy  # models are loaded only now
        from pstdesk.guestbook.erasure import register_holder

        post_migrate.connect(_load_compensation_options, sender=self)
        register_holder(privacy)
