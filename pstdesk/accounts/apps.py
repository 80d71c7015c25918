from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pstdesk.accounts"

    def ready(self) -> None:
        from pstdesk.accounts import signals  # noqa: F401  (connects the receivers)
