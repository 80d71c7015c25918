"""Admin for visitors and the guestbook's reference data.

Office scoping: staff see a visitor only when the visitor has a consultation or a guestbook entry at an office they
may see (`accounts.access.visible_office_codes`); anything else answers like a missing object. Visitors are read
only here: changes go through the guestbook actions (erase is an admin action calling `erase_visitor`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from pstdesk.accounts.access import acting_user, visible_office_codes
from pstdesk.guestbook import actions
from pstdesk.guestbook.erasure import holders
from pstdesk.guestbook.models import (
    CodeItem,
    CodeList,
    Consent,
    GuestbookEntry,
    Visitor,
    VisitorIdentity,
    VisitorMerge,
)
from pstdesk.lib.errors import DomainError


def visitors_visible_to(user: Any) -> QuerySet[Visitor]:
    """The visitors a staff member may see: those with a consultation or a guestbook entry at a visible office."""
    if getattr(user, "is_superuser", False):
        return Visitor.objects.all()
    codes = visible_office_codes(user)
    if not codes:
        return Visitor.objects.none()
    query = Q(Exists(GuestbookEntry.objects.filter(visitor=OuterRef("pk"), office_id__in=codes)))
    for visitors_at in holders("visitors_at"):  # the consultations: visitors who wrote to these offices
        query = visitors_at(list(codes)) | query
    return Visitor.objects.filter(query)


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VisitorIdentityInline(ReadOnlyInline):
    """How the channels recognise this visitor (read only: identities change through identify, merge, erase)."""

    model = VisitorIdentity
    fields = readonly_fields = ("kind", "key", "verified_at", "created_at")


class GuestbookEntryInline(ReadOnlyInline):
    model = GuestbookEntry
    fields = readonly_fields = (
        "office",
        "filled_at",
        "channel",
        "occupation",
        "institution_category",
        "institution_name",
        "purpose",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[GuestbookEntry]:
        queryset = super().get_queryset(request).select_related("office")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(office_id__in=visible_office_codes(request.user))


class ConsentInline(ReadOnlyInline):
    model = Consent
    fields = readonly_fields = ("notice_version", "given_at", "channel", "withdrawn_at", "withdrawn_channel")


@admin.action(description=_("Hapus data pribadi (hak penghapusan, UU 27/2022)"))
def erase_selected(modeladmin: VisitorAdmin, request: HttpRequest, queryset: QuerySet[Visitor]) -> None:
    done = 0
    for visitor in queryset:
        try:
            actions.erase_visitor(visitor, by=acting_user(request))
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{visitor.pk}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, _("%(n)d pengguna layanan dihapus datanya.") % {"n": done})


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "name", "email", "email_verified_at", "whatsapp", "created_at", "merged_into", "erased_at"]
    list_filter = ["erased_at", "email_verified_at"]
    search_fields = ["name", "email", "whatsapp"]
    fields = readonly_fields = (
        "public_id",
        "name",
        "email",
        "email_verified_at",
        "email_failing_at",
        "whatsapp",
        "language",
        "created_at",
        "merged_into",
        "erased_at",
    )
    inlines = [VisitorIdentityInline, GuestbookEntryInline, ConsentInline]
    actions = [erase_selected]
    list_select_related = ["merged_into"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Visitor]:
        return visitors_visible_to(request.user) & super().get_queryset(request)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("Not found")  # missing and not visible look the same
        return obj

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deletion is the erase action: statistics stay, personal data goes


@admin.register(VisitorMerge)
class VisitorMergeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["merged_at", "source_id", "target", "reason", "merged_by", "merged_by_label"]
    readonly_fields = ["source_id", "target", "reason", "merged_at", "merged_by", "merged_by_label", "moved"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[VisitorMerge]:
        return super().get_queryset(request).filter(target__in=visitors_visible_to(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CodeItemInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CodeItem
    extra = 0
    fields = ["order", "code", "label", "requires_text"]


@admin.register(CodeList)
class CodeListAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Reference data. A published version must not change (entries record it): add version + 1 instead."""

    list_display = ["name", "version", "effective_from"]
    list_filter = ["name"]
    inlines = [CodeItemInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["name", "version", "effective_from", "source"] if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
