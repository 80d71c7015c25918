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
# greeting, answer, courtesy met; guestbook and sla not; closing not applicable (no rating offered by phone)
ANSWERS = {"greeting": "yes", "guestbook": "no", "answer": "yes", "sla": "no", "courtesy": "yes", "closing": "na"}
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
        c,
        by=supervisor_5102,
        scores=ANSWERS,
        notes={"answer": "Sumber tabel tidak disebut"},
        comment="Sumber data kurang",
    )
    assert review.met == 3 and review.scores["guestbook"] == "no" and review.officer_id == officer_5102.pk
    assert review.applicable == 5 and review.score == 60.0
    assert review.month == date(2026, 11, 1)
    with pytest.raises(InvalidInput):
        review_transcript(c, by=supervisor_5102, scores=ANSWERS, comment="lagi")
    with pytest.raises(NotAllowed):
        review_transcript(closed(officer_5102, 4), by=officer2_5102, scores=ANSWERS, comment="")
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


def test_every_item_needs_an_answer_and_nothing_is_stored_otherwise(office_5102, officer_5102, supervisor_5102):
    c = closed(officer_5102, 5)
    with pytest.raises(InvalidInput, match="Buku tamu"):
        review_transcript(c, by=supervisor_5102, scores={**ANSWERS, "guestbook": ""}, comment="")
    with pytest.raises(InvalidInput):
        review_transcript(c, by=supervisor_5102, scores=ANSWERS, notes={"answer": "x" * 501}, comment="")
    assert not TranscriptReview.objects.exists() and not AuditLog.objects.filter(verb="review.created").exists()
    # the form shows the refusal and keeps what was entered
    form = {f"answer_{k}": v for k, v in ANSWERS.items() if k != "sla"} | {"note_answer": "Sumber?", "comment": "Hm"}
    response = client_for(supervisor_5102).post(f"/pengawasan/tinjauan/konsultasi/{c.pk}/", form)
    page = response.content.decode()
    assert response.status_code == 400 and "Dijawab dalam batas waktu" in page
    assert 'value="Sumber?"' in page and ">Hm</textarea>" in page
    assert 'name="answer_guestbook" value="no" checked' in page
    assert not TranscriptReview.objects.exists()


def test_all_not_applicable_has_no_score(office_5102, officer_5102, supervisor_5102):
    review = review_transcript(
        closed(officer_5102, 6), by=supervisor_5102, scores=dict.fromkeys(ANSWERS, "na"), comment=""
    )
    assert review.score is None and review.met == 0 and review.applicable == 0


def test_supervisor_edits_a_review_through_the_form_audited(office_5102, officer_5102, supervisor_5102):
    c = closed(officer_5102, 9)
    client = client_for(supervisor_5102)
    form = {f"answer_{k}": v for k, v in ANSWERS.items()} | {"note_guestbook": "Tidak ditanya", "comment": "Awal"}
    assert client.post(f"/pengawasan/tinjauan/konsultasi/{c.pk}/", form).status_code == 302
    review = TranscriptReview.objects.get(consultation=c)
    assert review.notes == {"guestbook": "Tidak ditanya"} and review.score == 60.0
    comment_on_review(review, by=officer_5102, comment="Maaf")
    edit = client.get(f"/pengawasan/tinjauan/konsultasi/{c.pk}/?edit=1").content.decode()
    assert 'id="review-form"' in edit and 'value="Tidak ditanya"' in edit
    form |= {"answer_sla": "yes", "comment": "Setelah dicek: tepat waktu"}
    assert client.post(f"/pengawasan/tinjauan/konsultasi/{c.pk}/", form).status_code == 302
    review.refresh_from_db()
    assert review.scores["sla"] == "yes" and review.score == 80.0 and review.updated_at is not None
    assert review.officer_read_at is None  # the officer is shown the corrected review as new
    audit = AuditLog.objects.get(verb="review.updated")
    assert audit.actor_id == supervisor_5102.pk
    assert audit.before["score"] == 60.0 and audit.after["score"] == 80.0
    assert audit.before["comment"] == "Awal" and audit.after["scores"]["sla"] == "yes"
    # the officer and another office's supervisor cannot edit
    officer = client_for(officer_5102)
    assert officer.post(f"/pengawasan/tinjauan/konsultasi/{c.pk}/", form).status_code == 404
    outsider = client_for(make_user("koord5101", "5101", "supervisor"))
    assert outsider.post(f"/pengawasan/tinjauan/konsultasi/{c.pk}/", form).status_code == 404
    assert AuditLog.objects.filter(verb="review.updated").count() == 1


def test_the_list_of_reviews_with_filters(office_5102, officer_5102, officer2_5102, supervisor_5102):
    clean = dict.fromkeys(ANSWERS, "yes")
    a = review_transcript(closed(officer_5102, 2), by=supervisor_5102, scores=ANSWERS, comment="")
    b = review_transcript(closed(officer2_5102, 3), by=supervisor_5102, scores=clean, comment="")
    comment_on_review(b, by=officer2_5102, comment="Terima kasih")
    client = client_for(supervisor_5102)

    def shown(query: str = "") -> set[int]:
        page = client.get(f"/pengawasan/tinjauan/{query}").content.decode()
        return {r.pk for r in (a, b) if f'data-review="{r.pk}"' in page}

    assert shown() == {a.pk, b.pk}
    assert shown("?outcome=findings") == {a.pk} and shown("?outcome=clean") == {b.pk}
    assert shown(f"?officer={officer2_5102.pk}") == {b.pk}
    assert shown("?reply=replied") == {b.pk} and shown("?reply=unread") == {a.pk}
    assert shown("?month=2026-11&office=5102") == {a.pk, b.pk} and shown("?month=2026-10") == set()
    page = client.get("/pengawasan/tinjauan/?outcome=findings").content.decode()
    assert "Buku tamu diperiksa" in page  # the finding is named
    outsider = client_for(make_user("koord5101", "5101", "supervisor"))
    assert 'data-review="' not in outsider.get("/pengawasan/tinjauan/?office=5102").content.decode()
    assert client_for(officer_5102).get("/pengawasan/tinjauan/").status_code == 404
    assert client.post("/pengawasan/tinjauan/").status_code == 405


def test_the_report_counts_reviews_of_the_period(office_5102, officer_5102, officer2_5102, supervisor_5102):
    import time_machine

    from pstdesk.supervision.queries import review_results

    with time_machine.travel(datetime(2026, 12, 2, 10, tzinfo=WITA), tick=False):
        review_transcript(
            closed(officer_5102, 2), by=supervisor_5102, scores=ANSWERS, notes={"sla": "Lewat 1 hari"}, comment=""
        )
        b = review_transcript(
            closed(officer2_5102, 3), by=supervisor_5102, scores=dict.fromkeys(ANSWERS, "yes"), comment=""
        )
        comment_on_review(b, by=officer2_5102, comment="Ok")
    start, end = datetime(2026, 12, 1, tzinfo=WITA), datetime(2027, 1, 1, tzinfo=WITA)
    results = review_results(["5102"], start, end)
    assert results["reviewed"] == 2 and results["officers"] == 2 and results["replied"] == 1
    assert results["mean_score"] == 80.0
    items = {i["code"]: i for i in results["items"]}
    assert (items["guestbook"]["yes"], items["guestbook"]["no"]) == (1, 1)
    assert (items["closing"]["yes"], items["closing"]["na"]) == (1, 1)
    findings = {(f["item"], f["note"]) for f in results["findings"]}
    assert findings == {("guestbook", ""), ("sla", "Lewat 1 hari")}
    assert review_results(["5101"], start, end)["reviewed"] == 0
    assert review_results(["5102"], datetime(2026, 11, 1, tzinfo=WITA), start)["reviewed"] == 0
