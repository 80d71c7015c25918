from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_compensation_options(sender: AppConfig, **kwargs: Any) -> None:
    # The seeding module imports models, which cannot load while the app registry fills (apps.py time).
    from pstdesk.complaints.seeding import load_compensation_options

    load_compensation_options()


class ComplaintsConfig(AppConfig):
    name = "pstdesk.complaints"
    verbose_name = _("Pengaduan dan kompensasi")

    def ready(self) -> None:
        # apps.py loads while the app registry fills: modules that import models load only from ready() on.
        from pstdesk.complaints import privacy
        from pstdesk.guestbook.erasure import register_holder

        post_migrate.connect(_load_compensation_options, sender=self)
        register_holder(privacy)
