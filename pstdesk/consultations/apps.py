from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "pstdesk.consultations"
    verbose_name = _("Konsultasi")
