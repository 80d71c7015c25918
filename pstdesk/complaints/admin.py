"""Breaches, compensation cases and complaints in the admin: read-only lists scoped to the offices the user may
see (decisions go through the supervision page, which calls the actions). The office's compensation options and
complaint policy are configuration, edited here by its administrators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pstdesk.accounts.admin_scope import OfficeScopedAdmin
from pstdesk.complaints.models import Breach, Compensation, CompensationOption, Complaint, ComplaintPolicy


class _ScopedReadOnly(OfficeScopedAdmin):
    """Read-only everywhere: these rows change only through the actions (the supervision page)."""

    write_roles = frozenset()

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Breach)
class BreachAdmin(_ScopedReadOnly):
    list_display = ("consultation", "office", "kind", "due_at", "detected_at")
    list_filter = ("office", "kind")


@admin.register(Compensation)
class CompensationAdmin(_ScopedReadOnly):
    list_display = ("pk", "office", "consultation", "status", "opened_at", "decided_at", "decided_by")
    list_filter = ("office", "status")


@admin.register(Complaint)
class ComplaintAdmin(_ScopedReadOnly):
    list_display = ("tracking_number", "office", "kind", "source", "status", "due_at", "escalated_at", "created_at")
    list_filter = ("office", "kind", "source", "status")
    search_fields = ("tracking_number", "external_id", "text")


@admin.register(CompensationOption)
class CompensationOptionAdmin(OfficeScopedAdmin):
    """The compensations an office can give: its administrators edit the list (seeded from the standard)."""

    list_display = ("label", "office", "position", "active")
    list_filter = ("office", "active")
    list_editable = ("position", "active")


@admin.register(ComplaintPolicy)
class ComplaintPolicyAdmin(OfficeScopedAdmin):
    """An office's follow-up deadline for complaints, in working days (default 5 without a row)."""

    list_display = ("office", "follow_up_working_days")
