"""Admin for staff accounts and API tokens, scoped to the offices the administrator may see.

Role rules (see accounts.admin_scope): superusers manage everyone; an office admin manages the non-superuser
accounts of their subtree (creating, editing, deactivating; never granting superuser, groups or per-model
permissions, never moving an account outside their subtree); managers and supervisors may read the list; officers
have no admin. Saving goes through `accounts.actions.save_staff_user` (audit row). API tokens are created here or
with `pstdesk createtoken`; the raw token is shown once, and tokens are revoked, never edited.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pstdesk.accounts.access import acting_user
from pstdesk.accounts.actions import (
    create_api_token,
    disable_two_factor,
    revoke_api_token,
    save_staff_user,
    set_security_policy,
    snapshot_user,
)
from pstdesk.accounts.admin_scope import OfficeScopedAdmin
from pstdesk.accounts.forms import AdminLoginForm
from pstdesk.accounts.models import ApiToken, SecurityPolicy, User
from pstdesk.accounts.views import admin_login
from pstdesk.lib.errors import DomainError

SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(OfficeScopedAdmin, DjangoUserAdmin):  # type: ignore[type-arg]
    """Staff accounts of the user's offices, with their office, role, duty and capacity."""

    office_field = "office"
    list_display = ["username", "get_full_name", "office", "role", "on_duty", "is_staff", "is_active"]
    list_filter = ["role", "on_duty", "is_active", "office"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["office", "username"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Data diri"), {"fields": ("first_name", "last_name", "email")}),
        (_("Kantor dan peran"), {"fields": ("office", "role", "on_duty", "capacity")}),
        (_("Hak akses"), {"fields": ("is_active", "is_staff", *SUPERUSER_ONLY_FIELDS)}),
        (_("Waktu"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "password1", "password2", "office", "role", "is_staff", "email"),
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = ["last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += list(SUPERUSER_ONLY_FIELDS)
        return readonly

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm[User], change: bool) -> None:
        before = snapshot_user(User.objects.get(pk=obj.pk)) if change else None
        save_staff_user(obj, by=acting_user(request), created=not change, before=before)

    actions = ["reset_two_factor"]

    @admin.action(description=_("Hapus verifikasi dua langkah (ponsel hilang)"), permissions=["change"])
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """The authenticator and recovery codes removed (audited); the user enrols again if required."""
        done = 0
        for user in queryset.select_related("office"):
            try:
                disable_two_factor(user, by=acting_user(request))
                done += 1
            except DomainError as exc:
                messages.error(request, f"{user}: {exc.message}")
        messages.success(request, _("Verifikasi dua langkah dihapus untuk %(n)d akun.") % {"n": done})


class ApiTokenForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ApiToken
        fields = ["user", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(OfficeScopedAdmin):
    """API tokens of the staff of the user's offices. Add one to see its raw value once; revoke with the action."""

    office_field = "user__office"
    form = ApiTokenForm
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
        return []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Tokens are never edited; the change page is read-only (revoke from the list).
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked tokens stay, for the audit trail

    def save_model(self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm[ApiToken], change: bool) -> None:
        token, raw = create_api_token(
            form.cleaned_data["user"], by=acting_user(request), name=form.cleaned_data["name"]
        )
        obj.pk = token.pk
        messages.warning(
            request,
            _("Token baru (hanya ditampilkan sekali, simpan sekarang): %(token)s") % {"token": raw},
        )

    @admin.action(description=_("Cabut token terpilih"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        done = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            try:
                revoke_api_token(token, by=acting_user(request))
                done += 1
            except DomainError as exc:
                messages.error(request, f"{token}: {exc.message}")
        messages.success(request, _("%(n)d token dicabut.") % {"n": done})

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self._role_allows(request, self.write_roles)


# The admin's login is throttled like the console's (accounts.throttle).
admin.site.login_form = AdminLoginForm


class SecurityPolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = SecurityPolicy
        fields = ["office", "require_admin_two_factor"]


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(OfficeScopedAdmin):
    """Each office's security policy (two factors required of its admins). Saved through
    `accounts.actions.set_security_policy` (audited); never deleted (switch it off instead)."""

    office_field = "office"
    form = SecurityPolicyForm
    list_display = ["office", "require_admin_two_factor", "updated_at"]
    list_filter = ["require_admin_two_factor"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["office", "updated_at"] if obj is not None else ["updated_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: SecurityPolicy, form: forms.ModelForm[SecurityPolicy], change: bool
    ) -> None:
        set_security_policy(obj.office, require_admin_two_factor=obj.require_admin_two_factor, by=acting_user(request))


# The admin's login asks for the second factor like the console's (accounts.views.TwoStepLoginView).
admin.site.login = admin_login  # type: ignore[method-assign]
