"""Admin of ratings: the office's rating policy (through `set_rating_policy`, audited); ratings, alerts and SKM
responses read-only (they change only through actions)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from pstdesk.accounts.access import acting_user
from pstdesk.accounts.admin_scope import OfficeScopedAdmin
from pstdesk.accounts.models import Role
from pstdesk.ratings.actions import set_rating_policy
from pstdesk.ratings.models import Rating, RatingAlert, RatingPolicy, SkmResponse


@admin.register(RatingPolicy)
class RatingPolicyAdmin(OfficeScopedAdmin):
    office_field = "office"
    write_roles = frozenset({Role.ADMIN, Role.MANAGER})
    list_display = ["office", "hide_integrity_from_officers"]

    def save_model(
        self, request: HttpRequest, obj: RatingPolicy, form: forms.ModelForm[RatingPolicy], change: bool
    ) -> None:
        saved = set_rating_policy(
            obj.office, by=acting_user(request), hide_integrity_from_officers=obj.hide_integrity_from_officers
        )
        obj.pk = saved.pk


class _ReadOnly(OfficeScopedAdmin):
    write_roles = frozenset()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(_ReadOnly):
    office_field = "consultation__office"
    list_display = ["consultation", "score", "channel", "created_at"]
    list_filter = ["score", "channel"]


@admin.register(RatingAlert)
class RatingAlertAdmin(_ReadOnly):
    office_field = "office"
    list_display = ["__str__", "office", "consultation", "status", "opened_at"]
    list_filter = ["status", "office"]


@admin.register(SkmResponse)
class SkmResponseAdmin(_ReadOnly):
    office_field = "office"
    list_display = ["__str__", "office", "source", "channel", "submitted_at"]
    list_filter = ["source", "office"]
