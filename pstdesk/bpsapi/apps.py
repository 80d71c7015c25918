from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BpsApiConfig(AppConfig):
    name = "pstdesk.bpsapi"
    label = "bpsapi"
    verbose_name = _("BPS Web API")
