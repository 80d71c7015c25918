"""`OfficeScopedAdmin`: the one way a Django admin page is scoped to the offices a user may see.

Mix it into any ModelAdmin of a model that belongs to an office:

    @admin.register(Consultation)
    class ConsultationAdmin(OfficeScopedAdmin, admin.ModelAdmin):
        office_field = "office"            # the lookup from the model to offices.Office ("consultation__office")

What it guarantees:
- querysets (change list, change/delete/history pages, autocomplete, bulk actions) hold only rows whose
  `office_field` is among `accounts.access.visible_offices(user)`; rows without an office are hidden from
  everyone but superusers;
- a row outside the user's offices answers 404 on its change/delete/history pages, exactly like a missing one
  (Django would otherwise redirect with "does not exist", which still tells the two apart from a 403);
- foreign keys and many-to-many fields to `Office` offer only visible offices, and those to `User` only staff of
  visible offices;
- permissions come from the role, not from Django's per-model permission table:
  * superusers: everything;
  * role **admin** (office administrator; needs `is_staff`): view, add, change, delete within their subtree;
  * roles **manager** and **supervisor** (need `is_staff`): read-only, within their subtree (they supervise; the
    console is where they act);
  * role **officer**: no admin at all (the console is their tool), even with `is_staff`.
  Override `view_roles` / `write_roles` per admin to change this, or `has_*_permission` for finer rules.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import Http404, HttpRequest

from pstdesk.accounts.access import visible_offices
from pstdesk.accounts.models import Role, User
from pstdesk.offices.models import Office

VIEW_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.SUPERVISOR})
WRITE_ROLES = frozenset({Role.ADMIN})


def _staff(request: HttpRequest) -> Any:
    user = request.user
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff:
        return None
    return user


class OfficeScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Mixin for ModelAdmins of office-bound models (see the module docstring)."""

    #: Lookup from the model to `offices.Office`: "office", "user__office", "consultation__office"; "pk" when the
    #: model is `Office` itself.
    office_field: str = "office"
    view_roles: frozenset[str] = VIEW_ROLES
    write_roles: frozenset[str] = WRITE_ROLES

    # --- scoping -------------------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        qs = super().get_queryset(request)
        user = _staff(request)
        if user is None:
            return qs.none()
        if user.is_superuser:
            return qs
        return qs.filter(**{f"{self.office_field}__in": visible_offices(user)})

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Missing and forbidden look the same: 404, never "exists but not yours".
            raise Http404("Not found")
        return obj

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped = self._scoped_choices(db_field.related_model, request)
        if scoped is not None:
            kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped = self._scoped_choices(db_field.related_model, request)
        if scoped is not None:
            kwargs["queryset"] = scoped
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _scoped_choices(self, model: Any, request: HttpRequest) -> models.QuerySet[Any] | None:
        user = _staff(request)
        if model is Office:
            return visible_offices(user) if user is not None else Office.objects.none()
        if model is User:
            if user is None:
                return User.objects.none()
            if user.is_superuser:
                return User.objects.all()
            return User.objects.filter(office__in=visible_offices(user))
        return None

    # --- permissions by role -------------------------------------------------------------------------------
    def _role_allows(self, request: HttpRequest, roles: frozenset[str]) -> bool:
        user = _staff(request)
        if user is None:
            return False
        return bool(user.is_superuser or (user.office_id is not None and user.role in roles))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._role_allows(request, self.view_roles | self.write_roles)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._role_allows(request, self.view_roles | self.write_roles)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._role_allows(request, self.write_roles)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._role_allows(request, self.write_roles)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._role_allows(request, self.write_roles)
