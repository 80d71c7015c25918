"""Assignment: round-robin among officers on duty within capacity, claim, transfer, and the staffing warning."""

from __future__ import annotations

import pytest
import time_machine

from pstdesk.accounts.models import User
from pstdesk.audit.models import AuditLog
from pstdesk.conftest import make_user
from pstdesk.consultations import actions
from pstdesk.consultations.models import Consultation
from pstdesk.consultations.tests.conftest import make_inbound
from pstdesk.lib.errors import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_hours():
    with time_machine.travel("2026-03-10 02:00:00+00:00", tick=True):
        yield


def incoming(n: int = 1) -> list[Consultation]:
    out = []
    for i in range(n):
        c = actions.receive_message(make_inbound(sender_wa_id=f"62812000{i:04d}", sender_whatsapp="")).consultation
        c.refresh_from_db()
        out.append(c)
    return out


def test_round_robin_least_recently_assigned_first(officer_5102, officer2_5102):
    a, b, c, d = incoming(4)
    assert [x.assigned_to_id for x in (a, b, c, d)] == [officer_5102.pk, officer2_5102.pk] * 2
    assert AuditLog.objects.filter(verb="consultation.auto_assigned").count() == 4


def test_capacity_and_duty_are_respected(officer_5102, officer2_5102):
    User.objects.filter(pk=officer_5102.pk).update(capacity=1)
    User.objects.filter(pk=officer2_5102.pk).update(on_duty=False)
    first, second = incoming(2)
    assert first.assigned_to_id == officer_5102.pk
    assert second.assigned_to_id is None  # nobody has room: it waits in the unassigned queue


def test_outsider_and_other_office_never_get_work(officer_5101):
    (c,) = incoming(1)
    assert c.assigned_to_id is None


def test_claim_takes_an_unassigned_consultation_and_accepts_the_request(officer_5102):
    User.objects.filter(pk=officer_5102.pk).update(on_duty=False)
    (c,) = incoming(1)
    actions.claim_consultation(c, by=officer_5102)
    assert c.assigned_to_id == officer_5102.pk and c.request_clear_at is not None
    assert AuditLog.objects.filter(verb="consultation.claimed", subject_id=str(c.pk)).exists()


def test_claim_of_someone_elses_consultation_is_refused(officer_5102, officer2_5102):
    (c,) = incoming(1)
    assert c.assigned_to_id == officer_5102.pk
    audits = AuditLog.objects.count()
    with pytest.raises(NotAllowed) as info:
        actions.claim_consultation(c, by=officer2_5102)
    assert "ayu" in info.value.message
    c.refresh_from_db()
    assert c.assigned_to_id == officer_5102.pk and AuditLog.objects.count() == audits


def test_transfer_by_assignee_or_supervisor_only(officer_5102, officer2_5102, supervisor_5102):
    (c,) = incoming(1)
    actions.transfer_consultation(c, to=officer2_5102, by=officer_5102)
    assert c.assigned_to_id == officer2_5102.pk
    with pytest.raises(NotAllowed):
        actions.transfer_consultation(c, to=officer_5102, by=officer_5102)  # no longer theirs
    actions.transfer_consultation(c, to=officer_5102, by=supervisor_5102)
    assert c.assigned_to_id == officer_5102.pk
    with pytest.raises(InvalidInput):
        actions.transfer_consultation(c, to=officer_5102, by=supervisor_5102)


def test_cannot_assign_to_another_offices_officer(officer_5102, officer_5101):
    (c,) = incoming(1)
    with pytest.raises(NotAllowed):
        actions.assign_consultation(c, to=officer_5101, by=officer_5102)
    c.refresh_from_db()
    assert c.assigned_to_id == officer_5102.pk


def test_staffing_warning_and_duty_event(officer_5102, officer2_5102, supervisor_5102, events, commit, office_5102):
    assert actions.staffing_warning(office_5102) is None
    commit(actions.set_on_duty, officer2_5102, on_duty=False, by=officer2_5102)
    warning = actions.staffing_warning(office_5102)
    assert warning and "mensyaratkan minimal 2" in warning
    staffing = [e for g, e in events if e["type"] == "staffing.warning"]
    assert staffing[-1]["on_duty"] == 1 and staffing[-1]["warning"] == warning
    assert AuditLog.objects.filter(verb="user.duty", subject_id=str(officer2_5102.pk)).exists()
    commit(actions.set_on_duty, officer2_5102, on_duty=True, by=supervisor_5102)
    assert actions.staffing_warning(office_5102) is None


def test_duty_of_others_only_by_their_supervisor(officer_5102, officer2_5102, officer_5101):
    other_supervisor = make_user("koord5101", "5101", "supervisor")
    for by in (officer_5102, officer_5101, other_supervisor):
        with pytest.raises(NotAllowed):
            actions.set_on_duty(officer2_5102, on_duty=False, by=by)
    officer2_5102.refresh_from_db()
    assert officer2_5102.on_duty
