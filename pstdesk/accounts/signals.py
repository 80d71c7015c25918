"""Tell open console sockets when a login ends or a user's access changes (issue 11): an `auth.changed` event to
`user.<id>`, after commit. The console consumer closes the socket of a logged-out session at once and re-checks
the others (active, offices); see `consultations.console.consumers`."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from pstdesk.accounts.models import User
from pstdesk.lib.events import publish_on_commit, user_group


def session_fingerprint(session_key: str | None) -> str:
    """What the bus carries to name a login session (never the session key itself)."""
    return hashlib.sha256(f"console-session:{session_key or ''}".encode()).hexdigest()[:32]


def _announce(user_id: int, reason: str, session: str = "") -> None:
    publish_on_commit(
        [user_group(user_id)], {"type": "auth.changed", "user": user_id, "reason": reason, "session": session}
    )


@receiver(user_logged_out, dispatch_uid="pstdesk.accounts.logout_closes_sockets")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None or user.pk is None:
        return
    key = getattr(getattr(request, "session", None), "session_key", None)
    _announce(user.pk, "logout", session_fingerprint(key) if key else "")


@receiver(post_save, sender=User, dispatch_uid="pstdesk.accounts.user_saved_rechecks_sockets")
def _saved(sender: Any, instance: User, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    # A login writes last_login only: nothing about access changed.
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    _announce(instance.pk, "changed")


@receiver(post_delete, sender=User, dispatch_uid="pstdesk.accounts.user_deleted_closes_sockets")
def _deleted(sender: Any, instance: User, **kwargs: Any) -> None:
    _announce(instance.pk, "deleted")
