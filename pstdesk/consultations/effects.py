"""What every consultation action shares: appending a message at the next seq, re-reading under a lock, audit
snapshots, and the events published after commit. Kept apart from `actions` so `assignment` and `delivery` can use
it without an import cycle."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F, Field
from django.utils import timezone

from pstdesk.consultations.attachments import ValidFile, store_attachments
from pstdesk.consultations.models import Attachment, Consultation, DeliveryStatus, Message, MessageKind
from pstdesk.consultations.serializers import consultation_dict, message_dict
from pstdesk.lib.actors import is_user
from pstdesk.lib.events import consultation_group, office_group, publish_on_commit, user_group


def _next_seq(consultation: Consultation, **stamps: Any) -> int:
    """Allocate the next message cursor: one atomic increment of `last_seq` that also writes `stamps` (e.g.
    `last_inbound_at`) and `updated_at`, read back in the same statement (`UPDATE ... RETURNING`, PostgreSQL and
    SQLite >= 3.35; else a read in the same transaction). The row lock (PostgreSQL) or write lock (SQLite) the
    update takes is held until commit, so concurrent writers get distinct numbers and commit in seq order. The
    current `status` and `assigned_to_id` are read back too: the inbound follow-ups decide on them."""
    stamps = {**stamps, "updated_at": timezone.now()}
    # UPDATE ... RETURNING came to SQLite in the same release as INSERT ... RETURNING (3.35).
    if connection.features.can_return_columns_from_insert:
        fields = [_field(name) for name in stamps]
        sets = "".join(f", {_column(field.name)} = %s" for field in fields)
        seq = _column("last_seq")
        returning = ", ".join(_column(name) for name in _SEQ_RETURNS)
        sql = (
            f"UPDATE {connection.ops.quote_name(Consultation._meta.db_table)} SET {seq} = {seq} + 1{sets} "
            f"WHERE {_column('id')} = %s RETURNING {returning}"
        )
        params = [field.get_db_prep_save(stamps[field.name], connection) for field in fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, consultation.pk])
            row = cursor.fetchone()
        if row is None:
            raise Consultation.DoesNotExist(f"consultation {consultation.pk} does not exist")
        current = dict(zip(_SEQ_RETURNS, row, strict=True))
    else:  # pragma: no cover - SQLite older than 3.35
        Consultation.objects.filter(pk=consultation.pk).update(last_seq=F("last_seq") + 1, **stamps)
        current = Consultation.objects.values(*_SEQ_RETURNS).get(pk=consultation.pk)
    for name, value in {**stamps, **current}.items():
        setattr(consultation, _field(name).attname, value)
    return consultation.last_seq


def _field(name: str) -> Field[Any, Any]:
    field = Consultation._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _column(name: str) -> str:
    column = _field(name).column
    assert column is not None
    return str(connection.ops.quote_name(column))


# Plain columns only (no converters needed when read back raw).
_SEQ_RETURNS = ("last_seq", "status", "assigned_to")


def append_message(
    consultation: Consultation,
    *,
    direction: str,
    kind: str = MessageKind.MESSAGE,
    body: str,
    channel: str | None = None,
    author: Any = None,
    payload: dict[str, Any] | None = None,
    external_id: str | None = None,
    is_automatic: bool = False,
    delivery_status: str = DeliveryStatus.NONE,
    files: Sequence[ValidFile] = (),
    stamps: dict[str, Any] | None = None,
) -> Message:
    """Store a message at the consultation's next seq (inside the caller's transaction), with its checked files;
    `stamps` are consultation fields written by the same statement that takes the seq."""
    seq = _next_seq(consultation, **(stamps or {}))
    message = Message.objects.create(
        consultation=consultation,
        seq=seq,
        direction=direction,
        kind=kind,
        channel=channel or consultation.channel,
        body=body,
        payload=payload or {},
        author=author if is_user(author) else None,
        external_id=external_id or None,
        is_automatic=is_automatic,
        delivery_status=delivery_status,
    )
    message.consultation = consultation
    _known_attachments(message, store_attachments(message, files))
    return message


def _known_attachments(message: Message, rows: list[Any]) -> None:
    """Fill the `attachments` relation of a message just written with the rows just stored, so serialising it for
    the events reads no table (a text message has none; there is nothing to look up)."""
    cached = Attachment.objects.filter(message=message)
    cached._result_cache = list(rows)
    cached._prefetch_done = True  # type: ignore[attr-defined]
    message._prefetched_objects_cache = {"attachments": cached}  # type: ignore[attr-defined]


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `obj` as JSON-ready values, for an audit row's before/after."""
    return {name: jsonable(getattr(obj, name)) for name in fields}


def lock(consultation: Consultation) -> None:
    """Re-read the consultation under a row lock (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers),
    so the transition is checked against the current status, not a stale copy.

    The visitor and assignee are re-read in the same query (the actions' events show them); only the
    consultation's row is locked. A consultation never changes office, so an office already loaded is kept."""
    office_field = Consultation._meta.get_field("office")
    office = consultation.office if office_field.is_cached(consultation) else None
    consultation.refresh_from_db(
        from_queryset=Consultation.objects.select_for_update(of=("self",)).select_related("visitor", "assigned_to")
    )
    if office is not None and office.pk == consultation.office_id:
        office_field.set_cached_value(consultation, office)


def publish_consultation(consultation: Consultation, *, event_type: str = "consultation.updated") -> None:
    """`consultation.updated` (or `.created`) after commit: the staff view to the office group and the
    assignee's user group, the status only to the consultation group (the visitor's widget listens there)."""
    staff_event = {
        "type": event_type,
        "consultation": consultation.pk,
        "office": consultation.office_id,
        "status": consultation.status,
        "data": consultation_dict(consultation),
    }
    groups = [office_group(consultation.office_id)]
    if consultation.assigned_to_id:
        groups.append(user_group(consultation.assigned_to_id))
    publish_on_commit(groups, staff_event)
    publish_on_commit(
        [consultation_group(consultation.pk)],
        {
            "type": event_type,
            "consultation": consultation.pk,
            "office": consultation.office_id,
            "status": consultation.status,
            "rating_requested": consultation.rating_requested_at is not None,
            "rated": consultation.rated_at is not None,
        },
    )


def publish_message(message: Message, *, event_type: str = "message.created") -> None:
    """`message.created` / `message.updated` after commit: the staff view to the office group, the public view
    (never a note) to the consultation group."""
    consultation = message.consultation
    base = {"type": event_type, "consultation": consultation.pk, "office": consultation.office_id, "seq": message.seq}
    staff = message_dict(message, for_staff=True)
    publish_on_commit([office_group(consultation.office_id)], {**base, "message": staff})
    public = message_dict(message, for_staff=False)
    if public is not None:
        publish_on_commit([consultation_group(consultation.pk)], {**base, "message": public})
