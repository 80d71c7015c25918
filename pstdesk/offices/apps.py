from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_reference_data(sender: AppConfig, **kwargs: Any) -> None:
    # Reference data, like Django's own permissions: present after every migrate and every test flush.
    # The seeding module imports models, which cannot load while the app registry fills (apps.py time).
    from pstdesk.offices.seeding import load_seed_offices

    load_seed_offices()


class OfficesConfig(AppConfig):
    name = "pstdesk.offices"
    verbose_name = _("Kantor dan standar pelayanan")

    def ready(self) -> None:
        post_migrate.connect(_load_reference_data, sender=self)
