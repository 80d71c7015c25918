"""`TwoFactorMiddleware`: a logged-in session that owes a second factor reaches nothing but the pages that settle
it (after `django_otp.middleware.OTPMiddleware`, which says whether the session is verified).

Owed when the user's office requires two factors of admins (`accounts.twofactor.required_for`) and the session is
not verified: with an authenticator, the second step; without one, enrolment first. This covers sessions opened
before the policy was switched on; new logins of such users never become sessions before the second step
(`accounts.views.TwoStepLoginView`). The API answers 403 instead of a redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect, JsonResponse
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
    """Sync and async. Under ASGI a request without a session cookie (nobody logged in) or to an open page passes
    on the event loop; one with a session is checked in one thread hop, which loads `request.user` there for the
    (sync) view that follows."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        return self.refusal(request) or self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith(OPEN_PREFIXES) or settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return await self.get_response(request)  # type: ignore[no-any-return]  # get_response is untyped
        refused = await sync_to_async(self.refusal, thread_sensitive=True)(request)
        return refused or await self.get_response(request)

    @staticmethod
    def refusal(request: HttpRequest) -> HttpResponse | None:
        """The answer to a session that owes its second factor, or None to go on."""
        if request.path.startswith(OPEN_PREFIXES):
            return None
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
        return None
