"""Writing audit rows. Every action calls `record` inside its own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from pstdesk.audit.models import AuditLog
from pstdesk.lib.actors import ChannelActor, SystemActor, VisitorActor


def actor_fields(by: Any) -> dict[str, Any]:
    """Split `by=` (a `User` or a typed actor from `lib.actors`; legacy label strings such as "channel:whatsapp" are
    still accepted) into the two actor columns."""
    if by is None:
        return {"actor": None, "actor_label": "system"}
    if isinstance(by, str):
        return {"actor": None, "actor_label": by}
    if isinstance(by, SystemActor | VisitorActor | ChannelActor):
        return {"actor": None, "actor_label": by.label}
    return {"actor": by, "actor_label": ""}


def record(
    verb: str,
    subject: models.Model,
    *,
    by: Any,
    office: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    return AuditLog.objects.create(
        verb=verb,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        office=office,
        before=before or {},
        after=after or {},
        **actor_fields(by),
    )
