from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_reference_data(sender: AppConfig, **kwargs: Any) -> None:
    # Reference data: loaded (or checked, which costs two counts) after every `migrate`. A test flush sends no
    # `plan`; tests that need KBLI after a flush call `ensure_loaded` themselves, so the other apps' transactional
    # tests do not pay for 2,710 rows each.
    if kwargs.get("plan") is None:
        return

    # These modules import models, which cannot load while the app registry fills (apps.py time).
    from pstdesk.knowledge.classification import ensure_kbli2020
    from pstdesk.knowledge.past import ensure_message_index

    using = kwargs.get("using", "default")
    ensure_kbli2020(using=using)
    ensure_message_index(connections[using])


class KnowledgeConfig(AppConfig):
    name = "pstdesk.knowledge"
    verbose_name = _("Pengetahuan")

    def ready(self) -> None:
        post_migrate.connect(_load_reference_data, sender=self)
