"""The assignment history (`Assignment`), rebuilt for existing consultations from their audit rows."""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ASSIGNMENT_VERBS = (
    "consultation.assigned",
    "consultation.claimed",
    "consultation.transferred",
    "consultation.auto_assigned",
    "consultation.handed_over",
)


def history_from_audit(apps: Any, schema_editor: Any) -> None:
    """One row per stretch between two audited changes of assignee; the last stays open. Officers since deleted
    are left out (their stretches end the previous one all the same)."""
    AuditLog = apps.get_model("audit", "AuditLog")
    Assignment = apps.get_model("consultations", "Assignment")
    User = apps.get_model(settings.AUTH_USER_MODEL.split(".")[0], settings.AUTH_USER_MODEL.split(".")[1])
    users = set(User.objects.values_list("pk", flat=True))
    consultation_ids = set(apps.get_model("consultations", "Consultation").objects.values_list("pk", flat=True))
    rows = (
        AuditLog.objects.filter(subject_type="consultations.consultation", verb__in=ASSIGNMENT_VERBS)
        .order_by("subject_id", "created_at", "id")
        .values_list("subject_id", "created_at", "after")
        .iterator(chunk_size=2000)
    )
    batch: list[Any] = []
    current: int | None = None
    held: Any = None  # the open row of the current consultation
    for subject_id, at, after in rows:
        consultation = int(subject_id)
        if consultation not in consultation_ids:
            continue
        if consultation != current:  # rows come grouped by consultation: the previous one's rows are final
            if len(batch) >= 2000:
                Assignment.objects.bulk_create(batch)
                batch = []
            current, held = consultation, None
        if held is not None:
            held.ended_at = at
            held = None
        officer = (after or {}).get("assigned_to")
        if officer in users:
            held = Assignment(consultation_id=consultation, officer_id=officer, started_at=at)
            batch.append(held)
    Assignment.objects.bulk_create(batch, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("consultations", "0005_console_read_cursors_preferences_and_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Assignment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("started_at", models.DateTimeField()),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                (
                    "consultation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to="consultations.consultation",
                    ),
                ),
                (
                    "officer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "riwayat penugasan",
                "verbose_name_plural": "riwayat penugasan",
                "ordering": ["consultation", "started_at"],
                "indexes": [models.Index(fields=["consultation", "started_at"], name="assignment_history")],
            },
        ),
        migrations.RunPython(history_from_audit, migrations.RunPython.noop),
    ]
