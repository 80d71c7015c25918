"""`TwoFactorMiddleware`: a logged-in session that owes a second factor reaches nothing but the pages that settle
it (after `django_otp.middleware.OTPMiddleware`, which says whether the session is verified).

Owed when the user's office requires two factors of admins (`accounts.twofactor.required_for`) and the session is
not verified: with an authenticator, the second step; without one, enrolment first. This covers sessions opened
before the policy was switched on; new logins of such users never become sessions before the second step
(`accounts.views.TwoStepLoginView`). The API answers 403 instead of a redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from pstdesk.accounts import twofactor

# Pages a session owing a second factor may still open: the steps themselves, logout, language, files, probes.
OPEN_PREFIXES = (
    "/accounts/masuk/kode/",
    "/accounts/keamanan/aktifkan/",
    "/accounts/logout/",
    "/i18n/",
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/favicon.ico",
)


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and twofactor.has_admin_access(user)  # no query: only admins can owe one
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.is_verified()  # type: ignore[attr-defined]
            and twofactor.required_for(user)
        ):
            step = "two_factor_verify" if twofactor.enabled_for(user) else "two_factor_enrol"
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Verifikasi dua langkah diperlukan.")}, status=403)
            return HttpResponseRedirect(f"{reverse(step)}?next={quote(request.get_full_path())}")
        return self.get_response(request)
