"""Give existing consultations the clock of the new rule (docs/sla.md, "The resolution deadline").

Every consultation gets `request_received_at`: its creation, or for a reopened one the time of its last reopening
(from the audit trail; the last inbound message when the trail has none). Consultations that are not closed and
have no clock yet (the request was never marked clear) get `sla_started_at` and `due_at` from the new rule, so
they can breach like any other. Clocks already started keep their deadlines: they were set by the rule in force
then, and moving them earlier now would turn consultations that kept the promise into breaches after the fact.

The deadlines use the office's calendar as the service computes it (`offices.calendar.calendar_for` on the live
office) and the pure functions of `consultations.sla`; those are only read when a row needs a deadline, so a fresh
database never touches them.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    Consultation = apps.get_model("consultations", "Consultation")
    AuditLog = apps.get_model("audit", "AuditLog")

    reopened: dict[str, Any] = {}
    for subject_id, created_at in (
        AuditLog.objects.filter(subject_type="consultations.consultation", verb="consultation.reopened")
        .order_by("id")
        .values_list("subject_id", "created_at")
    ):
        reopened[subject_id] = created_at  # the last one wins
    pending: list[Any] = []
    for row in Consultation.objects.filter(request_received_at__isnull=True).iterator():
        if row.reopened_count:
            row.request_received_at = reopened.get(str(row.pk)) or row.last_inbound_at or row.updated_at
        else:
            row.request_received_at = row.created_at
        row.save(update_fields=["request_received_at"])
        if row.status != "closed" and row.sla_started_at is None and row.requirements_complete_at is not None:
            pending.append(row)
    if not pending:
        return

    from pstdesk.consultations import sla
    from pstdesk.offices.calendar import calendar_for, years_for
    from pstdesk.offices.models import Office

    by_office: dict[str, list[Any]] = {}
    for row in pending:
        by_office.setdefault(row.office_id, []).append(row)
    for code, rows in by_office.items():
        office = Office.objects.get(code=code)
        standard = office.standard
        if standard is None:
            continue
        years: set[int] = set()
        starts = {}
        for row in rows:
            start = sla.sla_start_of(row)
            if start is not None:
                starts[row.pk] = start
                years |= set(years_for(start))
        if not starts:
            continue
        cal = calendar_for(office, years=years)
        for row in rows:
            if row.pk in starts:
                row.sla_started_at = starts[row.pk]
                row.due_at = sla.sla_due_at(starts[row.pk], cal, standard.sla_working_days)
                row.save(update_fields=["sla_started_at", "due_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("consultations", "0003_consultation_request_received_and_clarification"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
