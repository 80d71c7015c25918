"""Due dates re-computed when an office's calendar changes (its hours, standard or closures): the consultation core
registers `office_calendar_changed` with `offices.hooks`, so the offices app never imports this package."""

from __future__ import annotations

from django.db import transaction

from pstdesk.audit.actions import record
from pstdesk.consultations.effects import publish_consultation
from pstdesk.consultations.models import Consultation, Status
from pstdesk.consultations.sla import first_response_due_at, office_sla_policy, sla_due_at
from pstdesk.lib.actors import Actor, SystemActor
from pstdesk.offices.calendar import calendar_for, years_for
from pstdesk.offices.models import Office

SLA_ACTOR = SystemActor("sla")


def recompute_office_due_dates(
    office: Office, *, reason: str = "", by: Actor = SLA_ACTOR, announce: bool = False
) -> int:
    """Recompute `due_at` and `first_response_due_at` of the office's consultations that are not closed and have
    a started clock. One bulk update and one audit row for the office summarising it; every consultation whose
    deadlines moved is published after commit (the consoles and the visitor's widget redraw), and with `announce`
    every consultation whose clock runs (its "open now" state may have changed where the deadline did not).
    Returns the number of consultations whose deadlines changed."""
    working_days, minutes = office_sla_policy(office)
    with transaction.atomic():
        rows = list(
            Consultation.objects.select_for_update()
            .filter(office=office, sla_started_at__isnull=False)
            .exclude(status=Status.CLOSED)
            .only("pk", "created_at", "sla_started_at", "due_at", "first_response_due_at")
        )
        if not rows:
            return 0
        years: set[int] = set()
        for row in rows:
            assert row.sla_started_at is not None  # filtered on sla_started_at__isnull=False
            years |= set(years_for(row.sla_started_at)) | set(years_for(row.created_at))
        cal = calendar_for(office, years=years)
        changed = []
        for row in rows:
            assert row.sla_started_at is not None
            due = sla_due_at(row.sla_started_at, cal, working_days)
            first = first_response_due_at(row.created_at, cal, minutes)
            if due != row.due_at or first != row.first_response_due_at:
                row.due_at, row.first_response_due_at = due, first
                changed.append(row)
        Consultation.objects.bulk_update(changed, ["due_at", "first_response_due_at"], batch_size=500)
        record(
            "sla.recomputed",
            office,
            by=by,
            office=office,
            after={
                "reason": reason,
                "checked": len(rows),
                "changed": len(changed),
                "consultations": [row.pk for row in changed][:200],
            },
        )
        publish = rows if announce else changed
        if publish:
            fresh = Consultation.objects.filter(pk__in=[row.pk for row in publish])
            for consultation in fresh.select_related("office", "visitor", "assigned_to"):
                publish_consultation(consultation)
    return len(changed)


def office_calendar_changed(office: Office, *, reason: str, by: Actor, announce: bool = False) -> int:
    """The listener the consultation core registers with `offices.hooks` (see `apps.py`)."""
    return recompute_office_due_dates(office, reason=reason, by=by, announce=announce)
