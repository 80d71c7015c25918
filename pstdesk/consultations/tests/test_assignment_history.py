"""The assignment history: every change of assignee opens a stretch and ends the previous one, whatever the
action; the migration rebuilds the same stretches from the audit log; the report credits the officer who held a
consultation when it was answered."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps

from pstdesk.consultations import actions
from pstdesk.consultations.models import Assignment, Consultation
from pstdesk.consultations.tests.conftest import make_inbound
from pstdesk.offices.models import Office
from pstdesk.reports.figures import build_report
from pstdesk.reports.periods import parse_period

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
AUTO = datetime(2026, 3, 10, 10, 0, tzinfo=WITA)  # a Tuesday in service hours
TRANSFER = datetime(2026, 3, 10, 11, 0, tzinfo=WITA)
ANSWERED = datetime(2026, 3, 10, 13, 0, tzinfo=WITA)
BACK = datetime(2026, 3, 11, 9, 0, tzinfo=WITA)


def _stretches(consultation: Consultation) -> list[tuple[int, datetime, datetime | None]]:
    return [
        (a.officer_id, a.started_at, a.ended_at)
        for a in Assignment.objects.filter(consultation=consultation).order_by("started_at", "id")
    ]


@pytest.fixture
def handed_over(officer_5102, officer2_5102, supervisor_5102):
    """Auto-assigned to ayu, transferred to made, answered while made held it, then given back to ayu."""
    with time_machine.travel(AUTO, tick=False):
        consultation = actions.receive_message(make_inbound(sender_wa_id="6281200001111")).consultation
    with time_machine.travel(TRANSFER, tick=False):
        actions.transfer_consultation(consultation, to=officer2_5102, by=officer_5102)
    Consultation.objects.filter(pk=consultation.pk).update(answered_at=ANSWERED, first_response_at=ANSWERED)
    with time_machine.travel(BACK, tick=False):
        actions.transfer_consultation(consultation, to=officer_5102, by=supervisor_5102)
    return consultation


def test_each_change_of_assignee_ends_one_stretch_and_opens_the_next(handed_over, officer_5102, officer2_5102):
    assert _stretches(handed_over) == [
        (officer_5102.pk, AUTO, TRANSFER),
        (officer2_5102.pk, TRANSFER, BACK),
        (officer_5102.pk, BACK, None),
    ]


def test_the_migration_rebuilds_the_same_stretches_from_the_audit_log(handed_over):
    import importlib

    migration = importlib.import_module("pstdesk.consultations.migrations.0006_assignment_history")
    expected = _stretches(handed_over)
    Assignment.objects.all().delete()
    migration.history_from_audit(apps, None)
    assert _stretches(handed_over) == expected


def test_the_report_credits_who_held_it_when_it_was_answered(handed_over, officer2_5102):
    data = build_report(Office.objects.get(code="5102"), parse_period("2026-03"), now=BACK)
    assert handed_over.assigned_to_id != officer2_5102.pk  # ayu holds it now
    assert [(row["id"], row["handled"]) for row in data["officers"]] == [(officer2_5102.pk, 1)]
