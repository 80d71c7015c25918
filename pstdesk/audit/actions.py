"""Writing audit rows. Every action calls `record` inside its own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from pstdesk.audit.models import AuditLog
from pstdesk.lib.actors import NON_USER_ACTORS, Actor, is_user


def actor_fields(by: Actor) -> dict[str, Any]:
    """Split `by=` (a `User` or a typed actor from `lib.actors`) into the two actor columns: a user as the foreign
    key, any other actor as its label ("system:sla", "visitor:12", ...). A bare string or None is refused
    (`TypeError`): an actor is typed, so that a label cannot pass for "the system"."""
    if isinstance(by, NON_USER_ACTORS):
        return {"actor": None, "actor_label": by.label}
    if not is_user(by):
        raise TypeError(f"by= must be a User or a lib.actors actor, not {type(by).__name__}: {by!r}")
    return {"actor": by, "actor_label": ""}


def record(
    verb: str,
    subject: models.Model,
    *,
    by: Actor,
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
