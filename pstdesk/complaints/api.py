"""The complaints API (`/api/v1/complaints/...`) for staff, token or session auth like the rest of the API.

Every read goes through `complaints.access` (a complaint of an office outside the user's subtree answers 404, like a
missing one) and every change through `complaints.actions`. A refused action answers with its status code (400 bad
input, 403 not allowed, 409 not now) and `{"detail": "<message>"}`, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from pstdesk.accounts.access import acting_user, get_office_for
from pstdesk.accounts.models import User
from pstdesk.complaints import actions
from pstdesk.complaints.access import complaints_for, get_complaint_for
from pstdesk.complaints.models import OPEN_STATUSES, Complaint, ComplaintKind, ComplaintSource, ComplaintStatus
from pstdesk.complaints.policy import tracking_url
from pstdesk.consultations.access import get_consultation_for
from pstdesk.lib.errors import DomainError, InvalidInput

router = Router(tags=["complaints"])

MAX_LIMIT = 200


def complaint_dict(c: Complaint, *, notes: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": c.pk,
        "tracking_number": c.tracking_number,
        "tracking_url": tracking_url(c.tracking_number),
        "office": c.office_id,
        "kind": c.kind,
        "source": c.source,
        "external_id": c.external_id,
        "lapor_stage": c.lapor_stage,
        "text": c.text,
        "contact": c.contact,
        "visitor": c.visitor_id,
        "consultation": c.consultation_id,
        "message": c.message_id,
        "status": c.status,
        "assigned_to": c.assigned_to_id,
        "created_at": c.created_at.isoformat(),
        "due_at": c.due_at.isoformat() if c.due_at else None,
        "escalated_at": c.escalated_at.isoformat() if c.escalated_at else None,
        "escalated_to": c.escalated_to_id,
        "response": c.response,
        "upheld": c.upheld,
        "decision_reason": c.decision_reason,
        "handled_at": c.handled_at.isoformat() if c.handled_at else None,
        "reply_via": c.reply_via,
        "reply_sent_at": c.reply_sent_at.isoformat() if c.reply_sent_at else None,
    }
    if notes:
        data["notes"] = [
            {"author": n.author_id, "body": n.body, "created_at": n.created_at.isoformat()} for n in c.notes.all()
        ]
    return data


class ComplaintIn(Schema):
    office: str
    kind: str
    source: str
    text: str
    contact: str = ""
    external_id: str = ""
    consultation: int | None = None


class AnswerIn(Schema):
    response: str
    upheld: bool | None = None
    reason: str = ""


class ComplaintUpdate(Schema):
    """Each field present is one action, applied in this order in one transaction (all or nothing)."""

    assigned_to: int | None = None
    unassign: bool = False
    note: str | None = None
    lapor_stage: str | None = None
    answer: AnswerIn | None = None


@router.get("", summary="List complaints")
def list_complaints(
    request: HttpRequest,
    status: str | None = None,
    source: str | None = None,
    kind: str | None = None,
    office: str | None = None,
    overdue: bool = False,
    cursor: int | None = None,
    limit: int = 50,
) -> Any:
    """Newest first. Filters: `status` (`open` = received or in progress), `source`, `kind`, `office`, `overdue`.
    Pages by `cursor` (the `next_cursor` of the previous page) and `limit` (at most 200)."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    rows = complaints_for(request.user)
    for name, value, choices in (
        ("status", status, [*ComplaintStatus.values, "open"]),
        ("source", source, ComplaintSource.values),
        ("kind", kind, ComplaintKind.values),
    ):
        if value and value not in choices:
            return JsonResponse(
                {"detail": _("Nilai %(name)s tidak dikenal: %(values)s.") % {"name": name, "values": value}},
                status=400,
            )
    if status == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif status:
        rows = rows.filter(status=status)
    if source:
        rows = rows.filter(source=source)
    if kind:
        rows = rows.filter(kind=kind)
    if office:
        rows = rows.filter(office_id=office)
    if overdue:
        rows = rows.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    if cursor is not None:
        rows = rows.filter(pk__lt=cursor)
    page = list(rows.order_by("-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {"items": [complaint_dict(c) for c in page], "next_cursor": page[-1].pk if more and page else None}


def _refused(exc: DomainError) -> JsonResponse:
    return JsonResponse({"detail": exc.message}, status=exc.status_code)


@router.post("", summary="Record a complaint")
def create_complaint(request: HttpRequest, payload: ComplaintIn) -> Any:
    """Record a complaint received by the office (any source it publishes; LAPOR! and the BPS complaint site with
    their tracking id). 404 for an office or consultation the user does not see."""
    try:
        return _create(request, payload)
    except DomainError as exc:
        return _refused(exc)


def _create(request: HttpRequest, payload: ComplaintIn) -> Any:
    office = get_office_for(request.user, payload.office)
    consultation = None
    if payload.consultation is not None:
        consultation = get_consultation_for(request.user, payload.consultation)
    complaint = actions.file_complaint(
        office,
        kind=payload.kind,
        text=payload.text,
        by=acting_user(request),
        source=payload.source,
        contact=payload.contact,
        external_id=payload.external_id,
        consultation=consultation,
    )
    return JsonResponse(complaint_dict(complaint), status=201)


@router.get("/{complaint_id}", summary="A complaint")
def get_complaint(request: HttpRequest, complaint_id: int) -> Any:
    return complaint_dict(get_complaint_for(request.user, complaint_id), notes=True)


@router.patch("/{complaint_id}", summary="Work a complaint")
def update_complaint(request: HttpRequest, complaint_id: int, payload: ComplaintUpdate) -> Any:
    """Assign (`assigned_to`: a user id of the office, or `unassign`), add a follow-up `note`, set the
    `lapor_stage`, and/or `answer` the complainant (`response`, and for a complaint `upheld` with its `reason`)."""
    try:
        return _update(request, complaint_id, payload)
    except DomainError as exc:
        return _refused(exc)


def _update(request: HttpRequest, complaint_id: int, payload: ComplaintUpdate) -> Any:
    complaint = get_complaint_for(request.user, complaint_id)
    with transaction.atomic():
        if payload.assigned_to is not None or payload.unassign:
            to = None
            if payload.assigned_to is not None:
                to = User.objects.filter(pk=payload.assigned_to, office_id=complaint.office_id, is_active=True).first()
                if to is None:
                    raise InvalidInput(_("Petugas tidak ditemukan di kantor ini."))
            actions.assign_complaint(complaint, by=acting_user(request), to=to)
        if payload.note is not None:
            actions.add_complaint_note(complaint, by=acting_user(request), body=payload.note)
        if payload.lapor_stage is not None:
            actions.set_lapor_stage(complaint, by=acting_user(request), stage=payload.lapor_stage)
        if payload.answer is not None:
            actions.handle_complaint(
                complaint,
                by=acting_user(request),
                response=payload.answer.response,
                upheld=payload.answer.upheld,
                reason=payload.answer.reason,
            )
    return complaint_dict(get_complaint_for(request.user, complaint_id), notes=True)
