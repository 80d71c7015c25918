from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    """The office's soft-copy library: publications (PDF) sent to visitors as copies stamped for them."""

    name = "pstdesk.library"
    label = "library"
    verbose_name = _("Pustaka softcopy")
