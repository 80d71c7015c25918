"""The soft-copy library for API clients (token or session, staff only).

- `GET /api/v1/library`: the publications of the caller's offices that can be sent (optionally one `office`'s; 404
  for an office the caller does not see).
- `POST /api/v1/consultations/{consultation_id}/library-send` `{"publication": id}`: stamp a copy for the
  consultation's visitor and send it as a reply through the consultation's outbox (`library.actions`). 404 when the
  consultation or the publication is not the caller's, or they belong to different offices.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from ninja import Router, Schema, Status

from pstdesk.accounts.access import acting_user, visible_offices
from pstdesk.consultations.access import get_consultation_for
from pstdesk.lib.errors import DomainError
from pstdesk.library import actions
from pstdesk.library.access import get_publication_for, publications_for

router = Router(tags=["library"])
send_router = Router(tags=["library"])


class ErrorOut(Schema):
    detail: str


class LibraryPublicationOut(Schema):
    id: int
    office: str
    title: str
    year: int
    subject: str
    pages: int
    size: int


class LibraryOut(Schema):
    count: int
    results: list[LibraryPublicationOut]


class LibrarySendIn(Schema):
    publication: int


class LibraryDeliveryOut(Schema):
    id: int
    publication: int
    consultation: int
    message: int | None
    attached: bool
    sent_at: datetime
    expires_at: datetime


@router.get("", response={200: LibraryOut, 404: ErrorOut}, summary="Publications the caller's offices can send")
def list_library(request: HttpRequest, office: str | None = None) -> Any:
    """Active publications of the caller's offices (newest year first), one query."""
    rows = publications_for(request.user).filter(active=True)
    if office:
        if not visible_offices(request.user).filter(pk=office).exists():
            raise Http404("Office not found")
        rows = rows.filter(office_id=office)
    results = [
        {
            "id": p.pk,
            "office": p.office_id,
            "title": p.title,
            "year": p.year,
            "subject": p.subject,
            "pages": p.pages,
            "size": p.size,
        }
        for p in rows.order_by("office_id", "-year", "title")
    ]
    return {"count": len(results), "results": results}


@send_router.post(
    "/{consultation_id}/library-send",
    response={201: LibraryDeliveryOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Send a stamped copy of a publication to the consultation's visitor",
)
def send_library_copy(request: HttpRequest, consultation_id: int, payload: LibrarySendIn) -> Any:
    """Stamps the visitor's name, the office, the consultation number and the date on every page and sends the
    copy as a reply in the consultation's channel (a link valid for some days, and the file when small enough).
    The original is never sent."""
    consultation = get_consultation_for(request.user, consultation_id)
    publication = get_publication_for(request.user, payload.publication)
    if publication.office_id != consultation.office_id:
        raise Http404("Publication not found")
    try:
        delivery = actions.send_publication(publication, consultation=consultation, by=acting_user(request))
    except DomainError as exc:
        return JsonResponse({"detail": exc.message}, status=exc.status_code)
    attached = delivery.message is not None and delivery.message.attachments.exists()
    return Status(
        201,
        {
            "id": delivery.pk,
            "publication": publication.pk,
            "consultation": consultation.pk,
            "message": delivery.message_id,
            "attached": attached,
            "sent_at": delivery.sent_at,
            "expires_at": delivery.expires_at,
        },
    )
