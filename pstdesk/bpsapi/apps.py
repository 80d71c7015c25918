from __future__ import annotations

from django.apps import AppConfig


class BpsApiConfig(AppConfig):
    name = "pstdesk.bpsapi"
    label = "bpsapi"
    verbose_name = "BPS Web API"
