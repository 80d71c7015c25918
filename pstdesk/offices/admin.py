"""Admin for offices and their service standards, scoped to the user's offices (see accounts.admin_scope).

Who may do what (roles, with `is_staff`): office admins edit their subtree's offices and publish new versions of
their standards; managers and supervisors read them; officers have no admin. A saved standard is never modified:
saving the current version publishes version + 1 through `offices.actions.revise_standard`, and every earlier
version stays visible, read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pstdesk.accounts.access import acting_user, can_administer
from pstdesk.accounts.admin_scope import OfficeScopedAdmin
from pstdesk.lib.errors import DomainError
from pstdesk.offices.actions import (
    STANDARD_FIELDS,
    check_removed_channels,
    revise_standard,
    save_office,
    snapshot_office,
)
from pstdesk.offices.admin_forms import origins_field, standard_field
from pstdesk.offices.models import ChannelAccount, Office, ServiceStandard


@admin.register(Office)
class OfficeAdmin(OfficeScopedAdmin):
    """Offices of the user's subtree. Creating and editing go through `offices.actions.save_office`."""

    office_field = "pk"

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # The website origins as a list of URLs, each validated on its own (not a JSON box).
        if db_field.name == "website_origins":
            return origins_field(db_field)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    list_display = ["code", "name", "kind", "parent", "timezone", "whatsapp_number", "email"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    readonly_fields = ["path"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The code is the primary key and appears in URLs and data: fixed once created.
        return ["code", "path"] if obj is not None else ["path"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Offices carry consultations and audit history; only a superuser may remove one (PROTECT still applies).
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or can_administer(request.user, obj)

    def save_model(self, request: HttpRequest, obj: Office, form: forms.ModelForm[Office], change: bool) -> None:
        before = snapshot_office(Office.objects.get(pk=obj.pk)) if change else None
        save_office(obj, by=acting_user(request), created=not change, before=before)


class StandardForm(forms.ModelForm):  # type: ignore[type-arg]
    """Edits of a standard: every change needs a note, and a save that changes nothing is refused."""

    change_note = forms.CharField(
        label=_("Catatan perubahan"),
        max_length=300,
        help_text=_("Apa yang berubah dan mengapa; tampil di riwayat versi."),
    )

    class Meta:
        model = ServiceStandard
        fields = ["office", *STANDARD_FIELDS, "change_note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The JSON fields as structured inputs (lists with add-row, hours per weekday, texts in two languages).
        for name in STANDARD_FIELDS:
            if name in self.fields:
                structured = standard_field(name, ServiceStandard._meta.get_field(name))
                if structured is not None:
                    self.fields[name] = structured
        # What the version looked like before this form touched it (validation writes into the instance).
        self.original = {name: getattr(self.instance, name) for name in STANDARD_FIELDS}
        if self.instance.pk:
            self.initial["change_note"] = ""

    def changes(self) -> dict[str, Any]:
        """The standard's fields whose submitted value differs from the version being edited."""
        return {
            name: self.cleaned_data[name]
            for name in STANDARD_FIELDS
            if name in self.cleaned_data and self.cleaned_data[name] != self.original[name]
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and not self.errors and not self.changes():
            raise forms.ValidationError(_("Tidak ada perubahan pada standar pelayanan."))
        if self.instance.pk and "channels" in cleaned:
            # A channel the office still receives on cannot leave the standard: the reason on the field.
            try:
                check_removed_channels(self.instance.office, self.instance.channels, cleaned["channels"])
            except DomainError as exc:
                self.add_error("channels", exc.message)
        return cleaned


@admin.register(ServiceStandard)
class ServiceStandardAdmin(OfficeScopedAdmin):
    """Versions of the standards. Only the newest version of an office is editable; saving it publishes a new
    version (the edited one is left as it was). Older versions open read-only. Nothing is ever deleted."""

    form = StandardForm
    list_display = ["office", "version", "created_at", "created_by", "change_note", "is_current"]
    list_filter = ["office"]
    ordering = ["office", "-version"]
    readonly_fields = ["version", "created_at", "created_by"]

    @admin.display(boolean=True, description=_("berlaku"))
    def is_current(self, obj: ServiceStandard) -> bool:
        newest = getattr(obj, "_newest", None)
        if newest is None:
            newest = ServiceStandard.objects.filter(office_id=obj.office_id).order_by("-version").first()
        return bool(newest and newest.pk == obj.pk)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return ["office", *self.readonly_fields]
        return self.readonly_fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"change_note": ""}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        return self.is_current(obj) and can_administer(request.user, obj.office)

    def save_model(
        self, request: HttpRequest, obj: ServiceStandard, form: forms.ModelForm[ServiceStandard], change: bool
    ) -> None:
        assert isinstance(form, StandardForm)
        changes = form.changes()
        if not change:
            # A first standard for an office that has none: version 1 with every field of the form.
            changes = {name: form.cleaned_data[name] for name in STANDARD_FIELDS if name in form.cleaned_data}
        try:
            new = revise_standard(
                obj.office, by=acting_user(request), changes=changes, note=form.cleaned_data.get("change_note", "")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            raise
        # The admin continues (log entry, redirect) with the new version, not the untouched old one.
        obj.pk = new.pk
        obj.version = new.version
        obj.created_at = new.created_at
        obj.created_by = new.created_by

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm[ServiceStandard], formsets: Any, change: bool
    ) -> None:
        # ServiceStandard has no many-to-many or inlines; the default would call form.save_m2m on the old row.
        return None

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return super().get_queryset(request).select_related("office", "created_by")


@admin.register(ChannelAccount)
class ChannelAccountAdmin(OfficeScopedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    """An office's account on a channel (WhatsApp number, mailbox). `ChannelAccount.clean` refuses a channel the
    office's standard does not offer, and shows the channel's own checks of the key and config on those fields."""

    list_display = ["office", "kind", "external_key", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["office__code", "office__name", "external_key"]
    fields = ["office", "kind", "external_key", "config", "is_active"]
    list_select_related = ["office"]


from pstdesk.offices import admin_calendar  # noqa: E402,F401
