"""Who may read which report: supervisors, managers and admins read the reports of the offices in their subtree;
officers read only their own row ("Kinerja saya"). Another office's report or file answers 404, like a missing one."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from pstdesk.accounts.access import get_office_for, visible_offices
from pstdesk.accounts.models import Role
from pstdesk.offices.models import Office
from pstdesk.reports.models import ReportSnapshot

READING_ROLES = {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}


def reads_reports(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active) and (
        user.is_superuser or getattr(user, "role", None) in READING_ROLES
    )


def report_office_for(user: Any, code: str | None) -> Office:
    """The office whose report `user` asks for (default: their own); Http404 for anyone who reads no reports and
    for an office outside their subtree."""
    if not reads_reports(user):
        raise Http404("Not found")
    code = code or user.office_id
    if not code:
        office = visible_offices(user).order_by("path").first()
        if office is None:
            raise Http404("Not found")
        return office
    return get_office_for(user, code)


def snapshot_for(user: Any, pk: int) -> ReportSnapshot:
    """A stored report of an office the user may read; Http404 for missing and forbidden alike."""
    if not reads_reports(user):
        raise Http404("Not found")
    snapshot = ReportSnapshot.objects.filter(pk=pk, office__in=visible_offices(user)).select_related("office").first()
    if snapshot is None:
        raise Http404("Not found")
    return snapshot
