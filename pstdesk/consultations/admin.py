"""Admin of the consultation core: canned replies per office (CRUD, audited), consultations read-only (their
state changes only through the console and the API, i.e. through actions)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from pstdesk.accounts.access import acting_user
from pstdesk.accounts.admin_scope import OfficeScopedAdmin
from pstdesk.accounts.models import Role
from pstdesk.consultations.actions import delete_canned_reply, save_canned_reply
from pstdesk.consultations.models import CannedReply, Consultation


@admin.register(CannedReply)
class CannedReplyAdmin(OfficeScopedAdmin):
    """Coordinators and office admins keep their office's canned replies. Placeholders: {visitor_name},
    {office_name}, {officer_name}, {consultation_id}."""

    office_field = "office"
    write_roles = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.MANAGER})
    list_display = ["title", "office", "language"]
    list_filter = ["office", "language"]
    search_fields = ["title", "body"]

    def save_model(
        self, request: HttpRequest, obj: CannedReply, form: forms.ModelForm[CannedReply], change: bool
    ) -> None:
        save_canned_reply(obj, by=acting_user(request), created=not change)

    def delete_model(self, request: HttpRequest, obj: CannedReply) -> None:
        delete_canned_reply(obj, by=acting_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            delete_canned_reply(obj, by=acting_user(request))


@admin.register(Consultation)
class ConsultationAdmin(OfficeScopedAdmin):
    """Read-only: supervisors review consultations here; every change goes through the console or the API."""

    office_field = "office"
    write_roles = frozenset()
    list_display = ["__str__", "office", "channel", "status", "topic", "assigned_to", "created_at", "due_at"]
    list_filter = ["office", "channel", "status", "topic"]
    list_select_related = ["office", "assigned_to"]
    search_fields = ["=id", "title", "subject"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
