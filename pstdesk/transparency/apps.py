from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransparencyConfig(AppConfig):
    name = "pstdesk.transparency"
    verbose_name = _("Transparansi")
