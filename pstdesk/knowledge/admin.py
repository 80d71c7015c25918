"""Admin: office administrators write their office's articles (scoped to their offices, every change through
`knowledge.actions`); classifications are reference data, read-only for everyone."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from pstdesk.accounts.access import acting_user
from pstdesk.accounts.admin_scope import OfficeScopedAdmin
from pstdesk.accounts.models import Role
from pstdesk.knowledge.actions import delete_article, save_article
from pstdesk.knowledge.models import Article, ClassificationVersion


@admin.register(Article)
class ArticleAdmin(OfficeScopedAdmin):
    """Articles of the office's knowledge base (PFA). Shared articles of a province or BPS RI also appear at the
    offices below it."""

    office_field = "office"
    write_roles = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.MANAGER})
    list_display = ["title", "office", "status", "shared", "updated_at"]
    list_filter = ["office", "status", "shared"]
    search_fields = ["title", "body"]
    fields = ["office", "title", "slug", "summary", "body", "shared", "status"]

    def save_model(self, request: HttpRequest, obj: Article, form: forms.ModelForm[Article], change: bool) -> None:
        save_article(obj, by=acting_user(request), created=not change)

    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        delete_article(obj, by=acting_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            delete_article(obj, by=acting_user(request))


@admin.register(ClassificationVersion)
class ClassificationVersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Loaded versions (KBLI 2020, …): loaded by `pstdesk load_classification`, never edited by hand."""

    list_display = ["title", "slug", "entry_count", "source", "loaded_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
