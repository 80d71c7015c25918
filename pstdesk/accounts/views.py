"""Login in two steps and the staff's own two-factor settings (see `accounts.twofactor` for the rules).

Pages: the second step of a login (`/accounts/masuk/kode/`), enrolment of an authenticator app (QR code and key,
confirmed with a code), the account's security page (status, new recovery codes, switching it off with a current
code). Every state change is a POST through `accounts.actions`; a GET only shows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from pstdesk.accounts import actions, throttle, twofactor
from pstdesk.lib.errors import DomainError


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Kode"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


def _lock_text(lock: throttle.Lock) -> str:
    return _("Terlalu banyak kode yang salah. Coba lagi dalam %(minutes)s menit.") % {"minutes": lock.minutes_left}


def _safe_next(request: HttpRequest, url: str, default: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url
    return default


class TwoStepLoginView(auth_views.LoginView):
    """Django's login view, except that a right password for an account with an authenticator (or one that must
    enrol) opens a pending login instead of a session: the second step decides."""

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if twofactor.enabled_for(user):
            step = "two_factor_verify"
        elif twofactor.required_for(user):
            step = "two_factor_enrol"
        else:
            return super().form_valid(form)
        twofactor.begin_pending(self.request, user, self.get_success_url())
        return HttpResponseRedirect(reverse(step))


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
    """The admin site's login page (AdminSite.login) with the second step of `TwoStepLoginView`."""
    site = admin.site
    if request.method == "GET" and site.has_permission(request):
        return HttpResponseRedirect(reverse("admin:index", current_app=site.name))
    context = {
        **site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": request.user.get_username(),
    }
    if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
        context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=site.name)
    context.update(extra_context or {})
    request.current_app = site.name
    view = TwoStepLoginView.as_view(
        extra_context=context,
        authentication_form=site.login_form,
        template_name=site.login_template or "admin/login.html",
    )
    return never_cache(view)(request)


def _who(request: HttpRequest) -> tuple[Any, bool]:
    """The account a second-step page is for: the pending login's, or the logged-in user's (True: logged in)."""
    found = twofactor.pending(request)
    if found is not None:
        return found[0], False
    if request.user.is_authenticated:
        return request.user, True
    return None, False


def _finish(request: HttpRequest, user: Any, device: Any, *, default: str) -> str:
    target = twofactor.complete_login(request, user, device) or request.GET.get("next", "")
    return _safe_next(request, target, default)


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of a login: a code from the authenticator app or a recovery code."""
    user, logged_in = _who(request)
    if user is None:
        return redirect("login")
    if not twofactor.enabled_for(user):
        return redirect("two_factor_enrol" if twofactor.required_for(user) else "login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = twofactor.check_code(request, user, form.cleaned_data["code"])
        if check.device is not None:
            actions.record_two_factor_attempt(user, ok=True, method="recovery" if check.recovery else "totp")
            target = _finish(request, user, check.device, default=resolve_url(settings.LOGIN_REDIRECT_URL))
            if check.recovery:
                left = twofactor.recovery_codes_left(user)
                messages.warning(request, _("Anda masuk dengan kode pemulihan. Sisa kode: %(n)d.") % {"n": left})
            return HttpResponseRedirect(target)
        actions.record_two_factor_attempt(user, ok=False, method="code", locked=check.lock is not None)
        form.add_error("code", _lock_text(check.lock) if check.lock else _("Kode salah atau sudah dipakai."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "account": user})


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Enrolment of an authenticator app: start (POST), scan the QR code or type the key, confirm with a code."""
    user, logged_in = _who(request)
    if user is None:
        return redirect("login")
    if logged_in and twofactor.enabled_for(user) and not request.user.is_verified():  # type: ignore[union-attr]
        return redirect("two_factor_verify")
    device = twofactor.authenticator(user, confirmed=False)
    form = CodeForm(request.POST if request.method == "POST" and "code" in request.POST else None)
    if request.method == "POST":
        if "start" in request.POST or device is None:
            actions.start_two_factor_enrolment(user, by=user)
            return redirect("two_factor_enrol")
        if form.is_valid():
            check = twofactor.check_code(request, user, form.cleaned_data["code"], device=device)
            if check.device is not None:
                codes = actions.confirm_two_factor(user, device=device, by=user)
                target = _finish(request, user, check.device, default=reverse("two_factor"))
                return render(
                    request, "accounts/two_factor_codes.html", {"codes": codes, "next": target, "enrolled": True}
                )
            form.add_error("code", _lock_text(check.lock) if check.lock else _("Kode salah. Periksa jam ponsel Anda."))
    context: dict[str, Any] = {
        "form": form,
        "account": user,
        "device": device,
        "required": twofactor.required_for(user),
        "enabled": twofactor.enabled_for(user),
    }
    if device is not None:
        context.update(qr=twofactor.qr_svg(device), key=twofactor.manual_key(device))
    return render(request, "accounts/two_factor_enrol.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    """The account's two-factor settings: status, new recovery codes (POST), switch off with a current code (POST)."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    user = request.user
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if "recovery" in request.POST:
            try:
                codes = actions.regenerate_recovery_codes(user, by=user)
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("two_factor")
            return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": reverse("two_factor")})
        if "disable" in request.POST and form.is_valid():
            check = twofactor.check_code(request, user, form.cleaned_data["code"])
            if check.device is None:
                form.add_error("code", _lock_text(check.lock) if check.lock else _("Kode salah atau sudah dipakai."))
            else:
                try:
                    actions.disable_two_factor(user, by=user)
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, _("Verifikasi dua langkah dinonaktifkan."))
                return redirect("two_factor")
    context = {
        "form": form,
        "enabled": twofactor.enabled_for(user),
        "required": twofactor.required_for(user),
        "codes_left": twofactor.recovery_codes_left(user),
    }
    return render(request, "accounts/two_factor_security.html", context)
