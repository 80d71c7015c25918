"""State changes the e-mail channel makes on rows it does not own, each as one named action (transaction, audit
row, event after commit). The core has no action for these two facts; if it gains one, these delegate to it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from pstdesk.audit.actions import record
from pstdesk.lib.events import consultation_group, office_group, publish_on_commit


def mark_address_failing(visitor: Any, *, by: Any, reason: str = "") -> Any:
    """A delivery-status bounce says mail to the visitor's address fails permanently: stamp
    `Visitor.email_failing_at` (once; a later bounce keeps the first time). Audit "visitor.email_failing"
    (the reason is the DSN status and diagnostic, never the address itself)."""
    from pstdesk.guestbook.models import Visitor

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


def mark_introduction_given(consultation: Any, *, by: Any) -> Any:
    """The visitor introduced themself (name and institution), as 5101's e-mail procedure asks first: set
    `Consultation.introduction_given` and re-evaluate the requirements (which may open the consultation).
    Idempotent: a second call changes nothing and writes no audit row."""
    from pstdesk.consultations.actions import refresh_requirements
    from pstdesk.consultations.models import Consultation

    with transaction.atomic():
        locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if locked.introduction_given:
            return locked
        locked.introduction_given = True
        locked.save(update_fields=["introduction_given", "updated_at"])
        record(
            "consultation.introduction_given",
            locked,
            by=by,
            office=locked.office,
            before={"introduction_given": False},
            after={"introduction_given": True},
        )
        publish_on_commit(
            [office_group(locked.office_id), consultation_group(locked.pk)],
            {"type": "consultation.updated", "consultation": locked.pk, "office": locked.office_id},
        )
        refresh_requirements(locked, by=by)
    consultation.introduction_given = True
    return locked


def accept_introduction(consultation: Any, *, by: Any) -> Any:
    """An officer accepts the visitor's introduction (5101's e-mail procedure, step 1) when the mail did not match
    the heuristic: only staff of an office that may see the consultation (404 otherwise, as everywhere), only
    while the introduction is still missing. Audited as "consultation.introduction_given" with the officer as
    actor; the requirements are re-evaluated, so the consultation does not wait for an introduction forever."""
    from pstdesk.consultations.access import get_consultation_for
    from pstdesk.lib.actors import is_user

    if is_user(by):
        consultation = get_consultation_for(by, consultation.pk)
    return mark_introduction_given(consultation, by=by)
