"""Login forms of the console and the admin, with login throttling (`accounts.throttle`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pstdesk.accounts import throttle


class ThrottledLoginMixin:
    """Refuses the attempt while the user name or the client address is locked, before the password is checked
    (so a locked account cannot be probed), and counts each failure."""

    request: Any
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        lock = throttle.current_lock(self.request, username)
        if lock is not None:
            raise forms.ValidationError(self._lock_message(lock), code="locked")
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            throttle.record_failure(self.request, username)
            lock = throttle.current_lock(self.request, username)
            if lock is not None:
                raise forms.ValidationError(self._lock_message(lock), code="locked") from None
            raise
        throttle.record_success(username)
        return cleaned

    @staticmethod
    def _lock_message(lock: throttle.Lock) -> str:
        minutes = lock.minutes_left
        if lock.scope == "account":
            text = ngettext(
                "Terlalu banyak percobaan masuk yang gagal untuk akun ini. Coba lagi dalam %(minutes)s menit.",
                "Terlalu banyak percobaan masuk yang gagal untuk akun ini. Coba lagi dalam %(minutes)s menit.",
                minutes,
            )
        else:
            text = ngettext(
                "Terlalu banyak percobaan masuk yang gagal dari alamat jaringan Anda. Coba lagi dalam %(minutes)s "
                "menit.",
                "Terlalu banyak percobaan masuk yang gagal dari alamat jaringan Anda. Coba lagi dalam %(minutes)s "
                "menit.",
                minutes,
            )
        return text % {"minutes": minutes} + " " + _("Hubungi administrator kantor jika Anda lupa kata sandi.")


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The console's login form."""


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin site's login form."""
