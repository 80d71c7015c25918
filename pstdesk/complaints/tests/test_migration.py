"""The data migration that brings complaints filed before the register into it: each gets a tracking number, a
follow-up deadline of 5 working days, "website" becomes LAPOR! and "handled" becomes answered."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pstdesk.complaints.policy import TRACKING_RE

WITA = ZoneInfo("Asia/Makassar")
BEFORE = [("complaints", "0003_complaint_channel_becomes_source")]
AFTER = [("complaints", "0006_complaint_tracking_number_required")]


@pytest.mark.django_db(transaction=True)
def test_existing_complaints_join_the_register() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Complaint = old.get_model("complaints", "Complaint")  # noqa: N806
    created = datetime(2026, 11, 23, 10, tzinfo=WITA)  # Monday
    first = Complaint.objects.create(office_id="5102", kind="complaint", text="Lama", source="website")
    second = Complaint.objects.create(
        office_id="5101", kind="suggestion", text="Lama juga", source="online_form", status="handled", response="Ok"
    )
    Complaint.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=created)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("complaints", "Complaint")
    rows = {row.pk: row for row in new.objects.all()}
    numbers = {row.tracking_number for row in rows.values()}
    assert len(numbers) == 2 and all(TRACKING_RE.match(n) for n in numbers)
    assert rows[first.pk].tracking_number.startswith("PGD-5102-") and rows[first.pk].source == "lapor"
    assert rows[first.pk].status == "received"
    assert rows[second.pk].status == "answered" and rows[second.pk].reply_via == "tracking"
    # Five working days after Monday 23 November 2026: Monday 30 November, at closing time.
    assert rows[first.pk].due_at == datetime(2026, 11, 30, 16, tzinfo=WITA)
    assert rows[second.pk].due_at.astimezone(WITA).date() == datetime(2026, 11, 30).date()

    # Back to the latest state for the rest of the session.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
