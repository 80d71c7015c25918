"""State changes of the LiveChat channel: opening, resuming and revoking a visitor's widget session.

Messages, ratings and the guestbook are not here: the channel calls the core's actions for those
(`consultations.actions.receive_message`, `ratings.actions.record_rating`, `guestbook.actions.*`).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pstdesk.audit.actions import record
from pstdesk.channels.web.models import WidgetSession, hash_token
from pstdesk.lib.actors import Actor
from pstdesk.lib.events import publish_on_commit, visitor_group

# A session stays valid this long after its last use.
SESSION_DAYS_DEFAULT = 90
# last_seen_at / expires_at are written at most this often (a socket reconnecting must not write every time).
TOUCH_EVERY = timedelta(hours=1)


def session_lifetime() -> timedelta:
    return timedelta(days=int(getattr(settings, "WIDGET_SESSION_DAYS", SESSION_DAYS_DEFAULT)))


def open_widget_session(
    office: Any, visitor: Any, *, by: Actor, ip: str | None = None, language: str = "id"
) -> tuple[WidgetSession, str]:
    """Create a session for `visitor` with `office` and return it with its token (shown once, stored hashed).

    Guarantees: the token has 256 bits of randomness; only its hash is saved; one audit row `widget_session.opened`.
    """
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        session = WidgetSession.objects.create(
            token_hash=hash_token(token),
            office=office,
            visitor=visitor,
            language=language[:5] or "id",
            created_ip=ip or None,
            last_seen_at=now,
            expires_at=now + session_lifetime(),
        )
        record(
            "widget_session.opened",
            session,
            by=by,
            office=office,
            after={"visitor": visitor.pk, "expires_at": session.expires_at.isoformat()},
        )
    return session, token


def find_widget_session(token: str, office_code: str) -> WidgetSession | None:
    """The usable session of `token` for `office_code`, or None (unknown, revoked, expired, other office).

    A visitor merged into another since the session was opened is followed to the surviving identity, and the
    session is moved to it. Use is recorded (`expires_at` slides) at most once per TOUCH_EVERY.
    """
    if not token or len(token) > 200:
        return None
    session = (
        WidgetSession.objects.usable()
        .select_related("visitor", "office")
        .filter(token_hash=hash_token(token), office_id=office_code)
        .first()
    )
    if session is None:
        return None
    visitor = session.visitor
    seen: set[int] = set()
    while visitor.merged_into_id is not None and visitor.pk not in seen:
        seen.add(visitor.pk)
        visitor = visitor.merged_into  # type: ignore[assignment]
    now = timezone.now()
    fields: list[str] = []
    if visitor.pk != session.visitor_id:
        session.visitor = visitor
        fields.append("visitor")
    if session.last_seen_at is None or now - session.last_seen_at > TOUCH_EVERY:
        session.last_seen_at = now
        session.expires_at = now + session_lifetime()
        fields += ["last_seen_at", "expires_at"]
    if fields:
        session.save(update_fields=fields)
    return session


def revoke_widget_session(session: WidgetSession, *, by: Actor) -> WidgetSession:
    """Revoke a session: its token is refused from now on (open sockets of it are closed).

    Idempotent: revoking a revoked session changes nothing and writes no second audit row.
    """
    with transaction.atomic():
        session = WidgetSession.objects.select_for_update().get(pk=session.pk)
        if session.revoked_at is not None:
            return session
        session.revoked_at = timezone.now()
        session.save(update_fields=["revoked_at"])
        record(
            "widget_session.revoked",
            session,
            by=by,
            office=session.office,
            before={"revoked_at": None},
            after={"revoked_at": session.revoked_at.isoformat()},
        )
        # Sockets opened with this token close now (the consumer also re-checks its session periodically).
        publish_on_commit(
            [visitor_group(session.visitor_id)],
            {"type": "widget.session.revoked", "session": session.pk, "visitor": session.visitor_id},
        )
    return session
