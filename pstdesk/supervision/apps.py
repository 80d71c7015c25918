from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "pstdesk.supervision"
    verbose_name = _("Pengawasan berjenjang")
