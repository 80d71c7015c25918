"""Office closures in the admin, scoped to the offices the administrator may see, and an iCal import form.

Adding, deleting and importing go through `offices.closures` (audit row and due-date recomputation); a closure
is never edited in place (delete it and add the corrected day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pstdesk.accounts.access import acting_user, can_administer, visible_offices
from pstdesk.accounts.admin_scope import OfficeScopedAdmin
from pstdesk.lib.errors import DomainError
from pstdesk.offices.calendar import holiday_rows
from pstdesk.offices.closures import add_closure, import_closures_ical, remove_closure
from pstdesk.offices.holidays import decide_holiday
from pstdesk.offices.models import Office, OfficeClosure


def _administered(request: HttpRequest) -> QuerySet[Office]:
    user = request.user
    offices = visible_offices(user)
    if getattr(user, "is_superuser", False):
        return offices
    return offices if getattr(user, "role", None) == "admin" else offices.none()


class ImportIcalForm(forms.Form):
    office = forms.ModelChoiceField(queryset=Office.objects.none(), label=gettext_lazy("Kantor"))
    file = forms.FileField(label=gettext_lazy("Berkas iCal (.ics)"))

    def __init__(self, *args: Any, offices: QuerySet[Office], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices  # type: ignore[attr-defined]


class OfficeClosureAdmin(OfficeScopedAdmin):
    """Closures of the user's offices: office admins add, delete and import; supervisors and managers read."""

    list_display = ("date", "office", "reason", "created_at")
    list_filter = ("office",)
    date_hierarchy = "date"
    search_fields = ("reason",)
    fields = ("office", "date", "reason")
    change_list_template = "admin/offices/officeclosure/change_list.html"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "office":
            kwargs["queryset"] = _administered(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: OfficeClosure | None = None) -> bool:
        # Never edited in place (the recomputation is tied to add and remove): delete and add instead.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: OfficeClosure | None = None) -> bool:
        if obj is not None and not can_administer(request.user, obj.office):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: OfficeClosure, form: Any, change: bool) -> None:
        if change:
            raise PermissionDenied
        try:
            created = add_closure(obj.office, date=obj.date, reason=obj.reason, by=acting_user(request))
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        obj.pk, obj.created_at = created.pk, created.created_at

    def delete_model(self, request: HttpRequest, obj: OfficeClosure) -> None:
        remove_closure(obj, by=acting_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[OfficeClosure]) -> None:
        for closure in queryset.select_related("office"):
            remove_closure(closure, by=acting_user(request))

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "import-ical/",
                self.admin_site.admin_view(self.import_ical_view),
                name="offices_officeclosure_import_ical",
            ),
            path(
                "holidays/",
                self.admin_site.admin_view(self.holidays_view),
                name="offices_officeclosure_holidays",
            ),
        ]
        return extra + super().get_urls()

    def import_ical_view(self, request: HttpRequest) -> HttpResponse:
        offices = _administered(request)
        if not self.has_add_permission(request) or not offices.exists():
            raise PermissionDenied
        form = ImportIcalForm(request.POST or None, request.FILES or None, offices=offices)
        if request.method == "POST" and form.is_valid():
            try:
                result = import_closures_ical(
                    form.cleaned_data["office"], form.cleaned_data["file"].read(), by=acting_user(request)
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                self.message_user(
                    request,
                    _("%(n)s hari libur kantor diimpor; %(skipped)s dilewati.")
                    % {"n": len(result.added), "skipped": len(result.skipped)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:offices_officeclosure_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Impor hari libur kantor dari iCal"),
        }
        return TemplateResponse(request, "admin/offices/officeclosure/import_ical.html", context)

    def holidays_view(self, request: HttpRequest) -> HttpResponse:
        """National holidays of one office and year, estimated ones marked; confirm, move or remove each."""
        offices = _administered(request)
        if not offices.exists():
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        office = offices.filter(code=source.get("office", "")).first() or offices.first()
        assert office is not None
        try:
            year = int(request.GET.get("year") or timezone.localdate().year)
        except ValueError:
            year = timezone.localdate().year
        error = ""
        if request.method == "POST":
            try:
                day = dt.date.fromisoformat(request.POST.get("date", ""))
                moved = request.POST.get("moved_to") or ""
                decide_holiday(
                    office,
                    date=day,
                    decision=request.POST.get("decision", ""),
                    moved_to=dt.date.fromisoformat(moved) if moved else None,
                    by=acting_user(request),
                )
            except ValueError:
                error = _("Tanggal tidak valid.")
            except DomainError as exc:
                error = exc.message
            else:
                self.message_user(request, _("Keputusan hari libur disimpan; batas waktu dihitung ulang."))
                url = reverse("admin:offices_officeclosure_holidays")
                return HttpResponseRedirect(f"{url}?office={office.code}&year={day.year}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Hari libur nasional"),
            "offices": offices,
            "office": office,
            "year": year,
            "rows": holiday_rows(office, [year]),
            "error": error,
        }
        return TemplateResponse(
            request, "admin/offices/officeclosure/holidays.html", context, status=400 if error else 200
        )


admin.site.register(OfficeClosure, OfficeClosureAdmin)
