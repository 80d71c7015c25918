"""The consultations API (`/api/v1/consultations/...`), token or session auth (staff only).

Every endpoint reads through `access.get_consultation_for` (404 for a missing and another office's consultation
alike) and changes state only through `consultations.actions` / `ratings.actions`. A refused action answers with
its status code (400 bad input, 403 not allowed, 409 not now) and `{"detail": "<message>"}`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from pstdesk.accounts.access import acting_user
from pstdesk.accounts.models import User
from pstdesk.consultations import actions, transitions
from pstdesk.consultations.access import consultations_for, get_consultation_for
from pstdesk.consultations.models import CannedReply, Channel, Status, Topic
from pstdesk.consultations.serializers import (
    consultation_dict,
    consultation_rating,
    consultations_queryset,
    message_dict,
    messages_queryset,
)
from pstdesk.lib.errors import DomainError, InvalidInput
from pstdesk.ratings.actions import record_rating

router = Router(tags=["consultations"])

MAX_LIMIT = 200


def domain_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer a DomainError with its status code and `{"detail": message}`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DomainError as exc:
            return JsonResponse({"detail": exc.message}, status=exc.status_code)

    return wrapper


def _user(request: HttpRequest) -> User:
    """The token's or the session's user (every endpoint here requires one): the `by=` of the actions."""
    return acting_user(request)


def _staff_of(consultation: Any, user_id: int) -> User:
    """A user of the consultation's office; InvalidInput for anyone else (never reveals other offices' staff)."""
    user = User.objects.filter(pk=user_id, office_id=consultation.office_id, is_active=True).first()
    if user is None:
        raise InvalidInput(_("Petugas tidak ditemukan di kantor ini."))
    return user


def _detail(consultation: Any) -> dict[str, Any]:
    order = transitions.closing_order_of(consultation)
    data = consultation_dict(consultation)
    data["closing_order"] = order
    data["allowed_actions"] = transitions.allowed_actions(consultation.status, order)
    data["requirements_missing"] = actions.missing_requirements(consultation)
    return data


# --- reads ------------------------------------------------------------------------------------------------------


@router.get("", summary="List consultations")
def list_consultations(
    request: HttpRequest,
    status: str | None = None,
    channel: str | None = None,
    topic: str | None = None,
    office: str | None = None,
    assigned: str | None = None,
    q: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> Any:
    """Newest first. Filters: `status`, `channel`, `topic` (comma-separated values allowed), `office`,
    `assigned=me|none`, `q` (id, title, subject, visitor name or e-mail). Pages by `cursor` (the `next_cursor` of
    the previous page) and `limit` (at most 200). One query for the rows whatever their number."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    rows = consultations_for(_user(request)).select_related("office", "visitor", "assigned_to")
    for name, value, choices in (
        ("status", status, Status.values),
        ("channel", channel, Channel.values),
        ("topic", topic, Topic.values),
    ):
        if value:
            wanted = [v for v in value.split(",") if v]
            unknown = [v for v in wanted if v not in choices]
            if unknown:
                message = _("Nilai %(name)s tidak dikenal: %(values)s.") % {"name": name, "values": ", ".join(unknown)}
                return JsonResponse({"detail": message}, status=400)
            rows = rows.filter(**{f"{name}__in": wanted})
    if office:
        rows = rows.filter(office_id=office)
    if assigned == "me":
        rows = rows.filter(assigned_to=_user(request))
    elif assigned == "none":
        rows = rows.filter(assigned_to__isnull=True)
    elif assigned:
        return JsonResponse({"detail": _("assigned harus 'me' atau 'none'.")}, status=400)
    if q:
        q = q.strip()
        match = Q(title__icontains=q) | Q(subject__icontains=q) | Q(visitor__name__icontains=q)
        match |= Q(visitor__email__icontains=q)
        if q.lstrip("#").isdigit():
            match |= Q(pk=int(q.lstrip("#")))
        rows = rows.filter(match)
    if cursor is not None:
        rows = rows.filter(pk__lt=cursor)
    page = list(rows.order_by("-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [consultation_dict(c) for c in page],
        "next_cursor": page[-1].pk if more and page else None,
    }


@router.get("/{consultation_id}", summary="A consultation")
def get_consultation(request: HttpRequest, consultation_id: int) -> Any:
    """Id, office, channel, status, visitor summary, topic, assigned officer, SLA due times, the actions the
    transition table allows now and the requirements still missing, and the rating (`ratings.presentation`)."""
    consultation = get_consultation_for(_user(request), consultation_id)
    return {**_detail(consultation), "rating": consultation_rating(consultation, viewer=_user(request))}


@router.get("/{consultation_id}/messages", summary="Messages after a cursor")
def list_messages(request: HttpRequest, consultation_id: int, after: int = 0, limit: int = 200) -> Any:
    """The transcript from `after` (a seq; 0 = from the start), in seq order, notes included. `next_after` is the
    cursor to continue from; clients replay from their last seq after a reconnect."""
    consultation = get_consultation_for(_user(request), consultation_id)
    limit = max(1, min(int(limit), 500))
    rows = list(messages_queryset().filter(consultation=consultation, seq__gt=after).order_by("seq")[:limit])
    for row in rows:
        row.consultation = consultation
    items = [message_dict(m, for_staff=True) for m in rows]
    return {
        "items": items,
        "next_after": rows[-1].seq if rows else after,
        "last_seq": consultation.last_seq,
    }


@router.get("/{consultation_id}/canned-replies", summary="The office's canned replies, filled in")
def canned_replies(request: HttpRequest, consultation_id: int) -> Any:
    consultation = get_consultation_for(_user(request), consultation_id)
    replies = CannedReply.objects.filter(office_id=consultation.office_id)
    return {
        "items": [
            {
                "id": r.pk,
                "title": r.title,
                "language": r.language,
                "body": actions.render_canned_reply(r, consultation, officer=_user(request)),
            }
            for r in replies
        ]
    }


# --- writes -----------------------------------------------------------------------------------------------------


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"", "0", "false", "no", "off"}


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_WORDS


def _boolean(value: Any) -> bool:
    """Whether `value` is a boolean: JSON's true/false, or in a multipart form one of the words browsers and
    clients send for one ("true", "1", "on", "false", "0", "off", ...)."""
    return isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS)


def _reply_input(request: HttpRequest) -> tuple[dict[str, Any], list[Any]]:
    content_type = request.content_type or ""
    if content_type.startswith("multipart/form-data"):
        data: dict[str, Any] = request.POST.dict()
        files = request.FILES.getlist("files") + request.FILES.getlist("file")
        return data, files
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise InvalidInput(_("JSON tidak valid.")) from None
    if not isinstance(data, dict):
        raise InvalidInput(_("JSON tidak valid."))
    return data, []


@router.post(
    "/{consultation_id}/reply",
    summary="Reply to the visitor",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"body": {"type": "string"}, "answer": {"type": "boolean"}},
                        "required": ["body"],
                    }
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "body": {"type": "string"},
                            "answer": {"type": "boolean"},
                            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        },
                    }
                },
            }
        }
    },
)
@domain_errors
def reply(request: HttpRequest, consultation_id: int) -> Any:
    """JSON `{"body": "...", "answer": false}` or multipart with `body`, `answer` and `files`. With `answer` the
    consultation is also marked answered, in the same transaction. Answers 201 with the outbox message."""
    consultation = get_consultation_for(_user(request), consultation_id)
    data, files = _reply_input(request)
    body = data.get("body", "")
    if not isinstance(body, str):
        raise InvalidInput(_("Isi pesan harus teks."))
    answer = data.get("answer", False)
    multipart = (request.content_type or "").startswith("multipart/")
    if not (_boolean(answer) if multipart else isinstance(answer, bool)):
        raise InvalidInput(_("answer harus true atau false."))  # a boolean, as the document declares
    message = actions.post_reply(consultation, by=_user(request), body=body, attachments=files, answer=_truthy(answer))
    message = messages_queryset().get(pk=message.pk)
    return JsonResponse(message_dict(message, for_staff=True), status=201)


class BodyIn(Schema):
    body: str


class CloseIn(Schema):
    without_rating: bool = False


class RatingIn(Schema):
    score: int
    feedback: str = ""
    gratuity: bool = False
    illegal_fee: bool = False
    channel: str = "phone"


class UserIn(Schema):
    to: int


class TopicIn(Schema):
    topic: str
    subject: str = ""


@router.post("/{consultation_id}/note", summary="Add an internal note")
@domain_errors
def note(request: HttpRequest, consultation_id: int, data: BodyIn) -> Any:
    consultation = get_consultation_for(_user(request), consultation_id)
    message = actions.add_note(consultation, by=_user(request), body=data.body)
    message = messages_queryset().get(pk=message.pk)
    return JsonResponse(message_dict(message, for_staff=True), status=201)


def _act(request: HttpRequest, consultation_id: int, fn: Callable[..., Any], **kwargs: Any) -> Any:
    consultation = get_consultation_for(_user(request), consultation_id)
    fn(consultation, by=_user(request), **kwargs)
    return _detail(get_consultation_for(_user(request), consultation_id))


@router.post("/{consultation_id}/close", summary="Close (in the office's order)")
@domain_errors
def close(request: HttpRequest, consultation_id: int, data: CloseIn | None = None) -> Any:
    without = bool(data and data.without_rating)
    return _act(request, consultation_id, actions.close_consultation, without_rating=without)


@router.post("/{consultation_id}/request-rating", summary="Ask the visitor for a rating")
@domain_errors
def request_rating(request: HttpRequest, consultation_id: int) -> Any:
    return _act(request, consultation_id, actions.request_rating)


@router.post("/{consultation_id}/answered", summary="Mark answered")
@domain_errors
def answered(request: HttpRequest, consultation_id: int) -> Any:
    return _act(request, consultation_id, actions.mark_answered)


@router.post("/{consultation_id}/request-clear", summary="Mark the request clear")
@domain_errors
def request_clear(request: HttpRequest, consultation_id: int) -> Any:
    return _act(request, consultation_id, actions.mark_request_clear)


@router.post("/{consultation_id}/topic", summary="Set topic and statistical subject")
@domain_errors
def topic(request: HttpRequest, consultation_id: int, data: TopicIn) -> Any:
    return _act(request, consultation_id, actions.set_topic, topic=data.topic, subject=data.subject)


@router.post("/{consultation_id}/rating", summary="Record a rating on the visitor's behalf (e.g. by phone)")
@domain_errors
def rating(request: HttpRequest, consultation_id: int, data: RatingIn) -> Any:
    consultation = get_consultation_for(_user(request), consultation_id)
    record_rating(
        consultation,
        by=_user(request),
        score=data.score,
        feedback=data.feedback,
        gratuity=data.gratuity,
        illegal_fee=data.illegal_fee,
        channel=data.channel,
    )
    return JsonResponse(_detail(get_consultation_for(_user(request), consultation_id)), status=201)


class ErrorOut(Schema):
    detail: str


class ClarificationOut(Schema):
    consultation: dict[str, Any]
    message: dict[str, Any]


@router.post(
    "/{consultation_id}/ask-clarification",
    summary="Ask the visitor to clarify the request (holds the SLA clock until they answer)",
    response={201: ClarificationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
@domain_errors
def ask_clarification(request: HttpRequest, consultation_id: int, data: BodyIn) -> Any:
    """The procedure step "the request is not yet clear": `{"body": "<the question>"}` is sent to the visitor as a
    reply, and the SLA clock starts when the visitor answers (docs/sla.md). Once per consultation, before the
    request is marked clear and within the first-response target. 201 with the consultation and the message;
    400 empty text, 403 past the first-response target or not an officer, 404 missing or another office's
    consultation, 409 not in this state (already asked, already clear, closed)."""
    consultation = get_consultation_for(_user(request), consultation_id)
    message = actions.ask_clarification(consultation, by=_user(request), body=data.body)
    message = messages_queryset().get(pk=message.pk)
    detail = _detail(get_consultation_for(_user(request), consultation_id))
    return JsonResponse({"consultation": detail, "message": message_dict(message, for_staff=True)}, status=201)


@router.post("/{consultation_id}/assign", summary="Assign to an officer of the office")
@domain_errors
def assign(request: HttpRequest, consultation_id: int, data: UserIn) -> Any:
    consultation = get_consultation_for(_user(request), consultation_id)
    actions.assign_consultation(consultation, to=_staff_of(consultation, data.to), by=_user(request))
    return _detail(get_consultation_for(_user(request), consultation_id))


@router.post("/{consultation_id}/claim", summary="Take the consultation")
@domain_errors
def claim(request: HttpRequest, consultation_id: int) -> Any:
    consultation = get_consultation_for(_user(request), consultation_id)
    actions.claim_consultation(consultation, by=_user(request))
    return _detail(get_consultation_for(_user(request), consultation_id))


@router.post("/{consultation_id}/transfer", summary="Hand over to another officer")
@domain_errors
def transfer(request: HttpRequest, consultation_id: int, data: UserIn) -> Any:
    consultation = get_consultation_for(_user(request), consultation_id)
    actions.transfer_consultation(consultation, to=_staff_of(consultation, data.to), by=_user(request))
    return _detail(get_consultation_for(_user(request), consultation_id))


__all__ = ["router", "consultations_queryset"]
