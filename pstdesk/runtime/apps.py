from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RuntimeConfig(AppConfig):
    """Serving processes (web, workers), health and readiness probes, metrics. No models."""

    name = "pstdesk.runtime"
    verbose_name = _("Layanan berjalan")
