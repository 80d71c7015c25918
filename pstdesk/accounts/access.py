"""Office scoping: which offices a user may see. Every view, the API and the admin go through these helpers,
and a forbidden object answers exactly like a missing one (404)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from pstdesk.accounts.models import Role, User
from pstdesk.offices.models import Office, OfficeQuerySet


def acting_user(request: HttpRequest) -> User:
    """The signed-in staff user of a request, as the `by=` of the actions it calls. Views reach here only behind a
    login check, so an anonymous request is refused (403) rather than passed on as an actor."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user


def visible_offices(user: Any) -> OfficeQuerySet:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Office.objects.none()
    if user.is_superuser:
        return Office.objects.all()
    if user.office_id is None:
        return Office.objects.none()
    if user.role == Role.OFFICER:
        return Office.objects.filter(code=user.office_id)
    return Office.objects.subtree_of(user.office)


def own_office_only(user: Any) -> str | None:
    """The office code when `user` sees exactly their own office (an officer), known without a query; else None
    (see `visible_offices`). Lets hot reads filter by equality and walk an office index in order."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.is_superuser:
        return None
    if user.role == Role.OFFICER and user.office_id is not None:
        return str(user.office_id)
    return None


def visible_office_codes(user: Any) -> list[str]:
    return list(visible_offices(user).values_list("code", flat=True))


def get_office_for(user: Any, code: str) -> Office:
    """The office if the user may see it; Http404 whether it is missing or forbidden."""
    office = visible_offices(user).filter(code=code).first()
    if office is None:
        raise Http404("Office not found")
    return office


def can_administer(user: Any, office: Office) -> bool:
    """Whether the user may configure the office (its data, its service standard, its staff): a superuser, or an
    active user with the admin role whose office is the office or above it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role == Role.ADMIN and visible_offices(user).filter(pk=office.pk).exists()
