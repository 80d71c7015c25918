"""Who may see a consultation. Staff see the consultations of their visible offices; everything else answers 404,
exactly like a missing row. Visitors are checked by `visitor_can_access` (a hook the LiveChat session backs)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from pstdesk.accounts.access import own_office_only, visible_offices
from pstdesk.consultations.models import Consultation, ConsultationQuerySet


def consultations_for(user: Any) -> ConsultationQuerySet:
    """The consultations `user` may see: an officer's own office by equality (newest-first reads then walk the
    (office, -id) index instead of sorting the office's rows), anyone else through an office subquery."""
    if not getattr(user, "is_authenticated", False):
        return Consultation.objects.none()
    own = own_office_only(user)
    if own is not None:
        return Consultation.objects.filter(office_id=own)
    return Consultation.objects.filter(office__in=visible_offices(user))


def get_consultation_for(user: Any, pk: Any) -> Consultation:
    """The consultation if `user` may see it, with office, visitor and assignee loaded; Http404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("Consultation not found") from None
    row = consultations_for(user).select_related("office", "visitor", "assigned_to").filter(pk=pk).first()
    if row is None:
        raise Http404("Consultation not found")
    return row


def staff_can_access(user: Any, consultation: Consultation) -> bool:
    return consultations_for(user).filter(pk=consultation.pk).exists()


def visitor_can_access(request: HttpRequest, consultation: Consultation) -> bool:
    """Whether the browser behind `request` is the consultation's visitor.

    Hook: for now the session's `visitor_ids` list (the LiveChat widget / PST From Anywhere put the visitor's id
    there when it identifies them; signed e-mail links may do the same). The LiveChat helper may replace the body
    with its session-token check; callers only rely on the signature.
    """
    session = getattr(request, "session", None)
    if session is None:
        return False
    ids = session.get("visitor_ids") or []
    return consultation.visitor_id in {int(i) for i in ids if str(i).isdigit()}
