"""Who sees which complaint: staff see the complaints of the offices in their subtree (officers: their own
office); a complaint of another office answers exactly like a missing one (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from pstdesk.accounts.access import visible_offices
from pstdesk.complaints.models import Complaint


def complaints_for(user: Any) -> QuerySet[Complaint]:
    return Complaint.objects.filter(office__in=visible_offices(user))


def get_complaint_for(user: Any, pk: Any) -> Complaint:
    """The complaint if `user` may see it, with its office, visitor, consultation and assignee loaded; Http404
    otherwise (missing and forbidden alike)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("Complaint not found") from None
    row = (
        complaints_for(user)
        .select_related("office", "office__parent", "visitor", "consultation", "assigned_to", "handled_by")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise Http404("Complaint not found")
    return row
