"""record_rating: the score range, one rating per consultation, the office's order, the audit row and event."""

from __future__ import annotations

import pytest
import time_machine

from pstdesk.audit.models import AuditLog
from pstdesk.consultations import actions
from pstdesk.consultations.models import Consultation, Status
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.lib.errors import AlreadyRated, InvalidInput, InvalidTransition
from pstdesk.ratings.actions import record_rating
from pstdesk.ratings.models import Rating

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_hours():
    with time_machine.travel("2026-03-10 02:00:00+00:00", tick=True):
        yield


def answered(office: str, officer) -> Consultation:
    c = actions.receive_message(make_inbound(office=office)).consultation
    complete_requirements(c.visitor, office)
    actions.refresh_requirements(c, by=SystemActor("test"))
    actions.mark_request_clear(c, by=officer)
    actions.mark_answered(c, by=officer)
    return c


def test_records_score_feedback_and_integrity_answers(officer_5102, events, django_capture_on_commit_callbacks):
    c = answered("5102", officer_5102)
    actions.request_rating(c, by=officer_5102)
    with django_capture_on_commit_callbacks(execute=True):
        rating = record_rating(
            c,
            by=VisitorActor(c.visitor_id),
            score=2,
            feedback="Lambat",
            gratuity=True,
            illegal_fee=False,
            channel="whatsapp",
        )
    rating.refresh_from_db()
    assert (rating.score, rating.feedback, rating.gratuity, rating.illegal_fee) == (2, "Lambat", True, False)
    c.refresh_from_db()
    assert c.status == Status.RATED and c.rated_at
    row = AuditLog.objects.get(verb="rating.recorded")
    assert row.after["score"] == 2 and row.after["gratuity"] is True and row.actor_label == f"visitor:{c.visitor_id}"
    assert any(e["type"] == "consultation.updated" and e["status"] == "rated" for _g, e in events)


@pytest.mark.parametrize("score", [0, 6, "5", True, None])
def test_score_outside_1_to_5_is_refused(officer_5102, score):
    c = answered("5102", officer_5102)
    with pytest.raises(InvalidInput):
        record_rating(c, by=VisitorActor(1), score=score, channel="whatsapp")
    assert Rating.objects.count() == 0


def test_one_rating_per_consultation(officer_5102):
    c = answered("5102", officer_5102)
    record_rating(c, by=VisitorActor(1), score=5, channel="whatsapp")
    with pytest.raises(AlreadyRated):
        record_rating(c, by=VisitorActor(1), score=1, channel="whatsapp")
    assert Rating.objects.get().score == 5


def test_5101_refuses_rating_before_closing(officer_5101):
    c = answered("5101", officer_5101)
    with pytest.raises(InvalidTransition) as info:
        record_rating(c, by=VisitorActor(1), score=5, channel="whatsapp")
    assert "tutup" in info.value.message
    assert Rating.objects.count() == 0 and not AuditLog.objects.filter(verb="rating.recorded").exists()
