"""Transcript review: a reproducible monthly sample per officer, reviews on the office's checklist, the officer
reads and replies, and 5101's supervisor never sees 5102's reviews."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from pstdesk.audit.models import AuditLog
from pstdesk.complaints.tests.factories import make_consultation
from pstdesk.conftest import make_user
from pstdesk.consultations.models import Consultation, Status
from pstdesk.lib.errors import InvalidInput, NotAllowed
from pstdesk.supervision.models import TranscriptReview
from pstdesk.supervision.reviews import comment_on_review, monthly_sample, review_transcript

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db


def closed(officer, day: int) -> Consultation:  # noqa: ANN001
    c = make_consultation("5102", started=datetime(2026, 11, day, 9, tzinfo=WITA), assigned_to=officer)
    Consultation.objects.filter(pk=c.pk).update(
        status=Status.CLOSED,
        closed_at=datetime(2026, 11, day, 15, tzinfo=WITA),
        answered_at=datetime(2026, 11, day, 14, tzinfo=WITA),
    )
    c.refresh_from_db()
    return c


def client_for(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def test_the_monthly_sample_is_random_but_reproducible(office_5102, officer_5102, officer2_5102):
    mine = [closed(officer_5102, day) for day in (2, 3, 4, 5, 6, 9, 10)]
    [closed(officer2_5102, day) for day in (2, 3)]
    first = monthly_sample(office_5102, date(2026, 11, 1), n=3)
    assert len(first[officer_5102.pk]) == 3 and len(first[officer2_5102.pk]) == 2
    assert {c.pk for c in first[officer_5102.pk]} <= {c.pk for c in mine}
    # the same draw every time, and other officers' consultations do not change it
    third = make_user("wayan", "5102")
    closed(third, 11)
    again = monthly_sample(office_5102, date(2026, 11, 1), n=3)
    assert [c.pk for c in again[officer_5102.pk]] == [c.pk for c in first[officer_5102.pk]]
    # another month is another draw (nothing closed in December)
    assert monthly_sample(office_5102, date(2026, 12, 1), n=3) == {}


def test_review_read_and_reply(office_5102, officer_5102, officer2_5102, supervisor_5102):
    c = closed(officer_5102, 3)
    review = review_transcript(
        c, by=supervisor_5102, scores={"greeting": True, "answer": True, "courtesy": True}, comment="Sumber data kurang"
    )
    assert review.met == 3 and review.scores["guestbook"] is False and review.officer_id == officer_5102.pk
    assert review.month == date(2026, 11, 1)
    with pytest.raises(InvalidInput):
        review_transcript(c, by=supervisor_5102, scores={}, comment="lagi")
    with pytest.raises(NotAllowed):
        review_transcript(closed(officer_5102, 4), by=officer2_5102, scores={}, comment="")
    with pytest.raises(NotAllowed):
        comment_on_review(review, by=officer2_5102, comment="bukan saya")
    page = client_for(officer_5102).get("/tinjauan/").content.decode()
    assert "Sumber data kurang" in page and f"PST#{c.pk}" in page
    review.refresh_from_db()
    assert review.officer_read_at is not None
    response = client_for(officer_5102).post("/tinjauan/", {"review": review.pk, "comment": "Akan saya perbaiki"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.officer_comment == "Akan saya perbaiki"
    assert client_for(officer2_5102).post("/tinjauan/", {"review": review.pk, "comment": "x"}).status_code == 404
    assert "Sumber data kurang" not in client_for(officer2_5102).get("/tinjauan/").content.decode()
    assert AuditLog.objects.filter(verb__in=["review.created", "review.commented", "review.read"]).count() == 3
    # the supervisor sees the reply; 5101's supervisor sees nothing of it
    shown = client_for(supervisor_5102).get(f"/pengawasan/tinjauan/konsultasi/{c.pk}/").content.decode()
    assert "Akan saya perbaiki" in shown
    outsider = client_for(make_user("koord5101", "5101", "supervisor"))
    assert outsider.get(f"/pengawasan/tinjauan/konsultasi/{c.pk}/").status_code == 404
    assert outsider.get("/pengawasan/tinjauan/5102/?month=2026-11").status_code == 404
    assert TranscriptReview.objects.count() == 1
