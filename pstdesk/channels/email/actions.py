"""State changes the e-mail channel makes on rows it does not own, each as one named action (transaction, audit
row, event after commit). The introduction the e-mail procedure asks for is the core's fact
(`consultations.actions.mark_introduction_given`, `accept_introduction`), re-exported here for the intake."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from pstdesk.audit.actions import record
from pstdesk.consultations.actions import accept_introduction, mark_introduction_given
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import Actor

__all__ = ["accept_introduction", "mark_address_failing", "mark_introduction_given"]


def mark_address_failing(visitor: Any, *, by: Actor, reason: str = "") -> Any:
    """A delivery-status bounce says mail to the visitor's address fails permanently: stamp
    `Visitor.email_failing_at` (once; a later bounce keeps the first time). Audit "visitor.email_failing"
    (the reason is the DSN status and diagnostic, never the address itself)."""

    with transaction.atomic():
        locked = Visitor.objects.select_for_update().get(pk=visitor.pk)
        if locked.email_failing_at is not None:
            return locked
        locked.email_failing_at = timezone.now()
        locked.save(update_fields=["email_failing_at"])
        record(
            "visitor.email_failing",
            locked,
            by=by,
            before={"email_failing_at": None},
            after={"email_failing_at": locked.email_failing_at.isoformat(), "reason": reason[:300]},
        )
    visitor.email_failing_at = locked.email_failing_at
    return locked
