from __future__ import annotations

from django.apps import AppConfig
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pstdesk.accounts"
    verbose_name = _("Akun dan peran")

    def ready(self) -> None:
        # apps.py loads while the app registry fills: modules that import models load only from ready() on.
        from pstdesk.accounts import signals  # noqa: F401  (connects the receivers)

        _hide_otp_device_admins()


def _hide_otp_device_admins() -> None:
    """django-otp registers admin pages for its device tables, which show each authenticator's secret and are not
    scoped to offices. Devices are managed through the staff's own security page and the user admin's reset
    action instead (the admin autodiscovered every app's admin module before this runs)."""
    # Called from ready(): the device models cannot load while the app registry fills.
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
