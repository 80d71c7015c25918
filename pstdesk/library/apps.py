from __future__ import annotations

from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """The office's soft-copy library: publications (PDF) sent to visitors as copies stamped for them."""

    name = "pstdesk.library"
    label = "library"
    verbose_name = "Pustaka softcopy"
