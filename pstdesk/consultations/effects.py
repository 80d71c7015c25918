"""What every consultation action shares: re-reading under a lock, audit snapshots, and the events published
after commit. Kept apart from `actions` so `assignment` and `delivery` can use it without an import cycle."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pstdesk.consultations.models import Consultation, Message
from pstdesk.consultations.serializers import consultation_dict, message_dict
from pstdesk.lib.events import consultation_group, office_group, publish_on_commit, user_group


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `obj` as JSON-ready values, for an audit row's before/after."""
    return {name: jsonable(getattr(obj, name)) for name in fields}


def is_user(by: Any) -> bool:
    return by is not None and not isinstance(by, str) and getattr(by, "pk", None) is not None


def lock(consultation: Consultation) -> None:
    """Re-read the consultation under a row lock (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers),
    so the transition is checked against the current status, not a stale copy."""
    consultation.refresh_from_db(from_queryset=Consultation.objects.select_for_update())


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
