"""Ratings made visible and acted on: a "yes" to the illegal-fee question (through the WhatsApp simulator) opens a
follow-up item for the supervisors at once (event, e-mail, queue) and tells the visitor in their channel; a score
of 1–2 opens one too; the decision trail; office isolation (5101 never sees 5102's items); the office setting that
hides integrity answers from the officer concerned; the ratings list API with its filters and mean; the console."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import time_machine
from django.core import mail

from pstdesk.audit.models import AuditLog
from pstdesk.channels.whatsapp.tests.conftest import office_hours, sim, wa_settings  # noqa: F401
from pstdesk.channels.whatsapp.tests.helpers import PNID, accepted_for, drive_outbox
from pstdesk.channels.whatsapp.tests.test_end_to_end import consult_until_answered, press
from pstdesk.consultations import actions
from pstdesk.consultations.models import Consultation
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.lib.errors import InvalidInput, NotAllowed
from pstdesk.ratings.actions import decide_rating_alert, record_rating
from pstdesk.ratings.models import AlertStatus, RatingAlert, RatingPolicy

_numbers = itertools.count(300)


def claimed_and_answered(office: str, officer: Any) -> Consultation:
    n = next(_numbers)
    inbound = make_inbound(office=office, sender_wa_id=f"62813000{n}", sender_whatsapp=f"+62813000{n}")
    c = actions.receive_message(inbound).consultation
    complete_requirements(c.visitor, office)
    actions.refresh_requirements(c, by=SystemActor("test"))
    actions.assign_consultation(c, to=officer, by=SystemActor("test"))
    actions.mark_request_clear(c, by=officer)
    actions.mark_answered(c, by=officer)
    c.refresh_from_db()
    return c


@pytest.fixture
def in_hours():
    with time_machine.travel("2026-03-10 02:00:00+00:00", tick=True):
        yield


@pytest.mark.django_db
def test_illegal_fee_in_whatsapp_alerts_supervisors_and_tells_the_visitor(
    sim,  # noqa: F811
    officer_5102,
    supervisor_5102,
    supervisor_5100,
    officer_5101,
    client,
    django_capture_on_commit_callbacks,
):
    from pstdesk.lib import events

    published: list[tuple[list[str], dict[str, Any]]] = []
    original = events.publish

    def capture(groups, event):  # the real bus, observed
        published.append((list(groups), event))
        original(groups, event)

    events.publish = capture
    try:
        user = "6281298760099"
        consultation = consult_until_answered(sim, "5102", user, officer_5102)
        actions.request_rating(consultation, by=officer_5102)
        drive_outbox(sim)
        mail.outbox.clear()
        press(sim, "5102", user, f"pst:score:{consultation.pk}:4")
        press(sim, "5102", user, f"pst:gratuity:{consultation.pk}:no")
        press(sim, "5102", user, f"pst:fee:{consultation.pk}:yes")
        sim.user_says(PNID["5102"], user, "Saya diminta membayar Rp50.000 untuk data")
        sim.pump()
        drive_outbox(sim)
    finally:
        events.publish = original

    alert = RatingAlert.objects.get(consultation=consultation)
    assert alert.reasons == ["illegal_fee"] and alert.status == AlertStatus.OPEN and alert.office_id == "5102"
    assert alert.officer_id == officer_5102.pk
    assert AuditLog.objects.filter(verb="rating_alert.opened", subject_id=str(alert.pk)).exists()
    alert_events = [(g, e) for g, e in published if e["type"] == "rating.alert"]
    assert alert_events and "office.5102" in alert_events[0][0] and f"user.{supervisor_5102.pk}" in alert_events[0][0]
    # the supervisors' e-mail names the consultation and the queue, never the visitor
    sent = [m for m in mail.outbox if supervisor_5102.email in m.to]
    assert len(sent) == 1 and f"PST#{consultation.pk}" in sent[0].subject
    assert f"/pengawasan/penilaian/{alert.pk}/" in sent[0].body and "Putu" not in sent[0].body
    # the visitor is told in WhatsApp that the report was passed on (delivered by the simulated Cloud API)
    texts = [row["body"].get("text", {}).get("body", "") for row in accepted_for(sim, user)]
    assert any("pungutan liar telah kami teruskan kepada pengawas" in t for t in texts), texts

    # the queue: 5102's supervisor and the province see it; 5101's supervisor and officers never do
    client.force_login(supervisor_5102)
    queue = client.get("/pengawasan/penilaian/")
    assert queue.status_code == 200 and f'data-alert="{alert.pk}"' in queue.content.decode()
    client.force_login(supervisor_5100)
    assert client.get(f"/pengawasan/penilaian/{alert.pk}/").status_code == 200
    from pstdesk.conftest import make_user

    supervisor_5101 = make_user("wayan", "5101", role="supervisor")
    client.force_login(supervisor_5101)
    assert client.get(f"/pengawasan/penilaian/{alert.pk}/").status_code == 404
    assert client.post(f"/pengawasan/penilaian/{alert.pk}/", {"decision": "unfounded", "text": "x"}).status_code == 404
    assert f'data-alert="{alert.pk}"' not in client.get("/pengawasan/penilaian/").content.decode()
    assert client.get("/pengawasan/penilaian/?office=5102").status_code == 404
    client.force_login(officer_5102)
    assert client.get("/pengawasan/penilaian/").status_code == 404
    assert client.get(f"/pengawasan/penilaian/{alert.pk}/").status_code == 404
    assert RatingAlert.objects.get(pk=alert.pk).status == AlertStatus.OPEN
    # the transcript staff read shows the pressed score, but not the answers to the integrity questions (they belong
    # to the rating, which the office may hide from the officer concerned)
    items = client.get(f"/api/v1/consultations/{consultation.pk}/messages").json()["items"]
    inbound = [m for m in items if m["direction"] == "in"]
    hidden = [m for m in inbound if m["body"] == "(jawaban pertanyaan integritas: lihat penilaian)"]
    assert len(hidden) == 2 and not [m for m in inbound if m["body"] in {"Ya", "Tidak", "Yes", "No"}]
    assert any(f"pst:score:{consultation.pk}:4" in str(m["payload"]) for m in inbound)
    assert "pst:fee" not in str(inbound) and "pst:gratuity" not in str(inbound)


@pytest.mark.django_db
def test_low_score_opens_an_item_and_the_decision_trail(officer_5102, supervisor_5102, client, in_hours):
    c = claimed_and_answered("5102", officer_5102)
    record_rating(c, by=VisitorActor(c.visitor_id), score=2, feedback="Lama", channel="whatsapp")
    alert = RatingAlert.objects.get(consultation=c)
    assert alert.reasons == ["low_score"]
    # a low score alone is not an integrity report: the visitor gets no "passed on" message
    assert not c.messages.filter(payload__integrity_report_forwarded=True).exists()
    with pytest.raises(InvalidInput):
        decide_rating_alert(alert, by=supervisor_5102, decision="looked_into", text="  ")
    with pytest.raises(InvalidInput):
        decide_rating_alert(alert, by=supervisor_5102, decision="open", text="x")
    with pytest.raises(NotAllowed):
        decide_rating_alert(alert, by=officer_5102, decision="unfounded", text="bukan saya")
    client.force_login(supervisor_5102)
    page = client.post(f"/pengawasan/penilaian/{alert.pk}/", {"decision": "looked_into", "text": "Transkrip dibaca."})
    assert page.status_code == 302
    decide_rating_alert(alert, by=supervisor_5102, decision="action_taken", text="Petugas dibina.")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACTION_TAKEN
    trail = list(alert.decisions.values_list("decision", "text"))
    assert trail == [("looked_into", "Transkrip dibaca."), ("action_taken", "Petugas dibina.")]
    rows = AuditLog.objects.filter(verb="rating_alert.decided", subject_id=str(alert.pk)).order_by("id")
    assert [r.after["status"] for r in rows] == ["looked_into", "action_taken"]
    assert rows[1].before == {"status": "looked_into"}
    html = client.get(f"/pengawasan/penilaian/{alert.pk}/").content.decode()
    assert "Petugas dibina." in html and "Transkrip dibaca." in html


@pytest.mark.django_db
def test_good_rating_opens_nothing(officer_5102, in_hours):
    c = claimed_and_answered("5102", officer_5102)
    record_rating(c, by=VisitorActor(c.visitor_id), score=3, channel="whatsapp")
    assert not RatingAlert.objects.exists()


@pytest.mark.django_db
def test_rating_in_console_and_api_and_the_hiding_setting(
    officer_5102, officer2_5102, supervisor_5102, client, in_hours
):
    c = claimed_and_answered("5102", officer_5102)
    record_rating(
        c, by=VisitorActor(c.visitor_id), score=5, feedback="Ramah", gratuity=True, illegal_fee=False, channel="email"
    )
    client.force_login(officer_5102)
    rating = client.get(f"/api/v1/consultations/{c.pk}").json()["rating"]
    assert (rating["score"], rating["feedback"], rating["gratuity"], rating["illegal_fee"]) == (5, "Ramah", True, False)
    page = client.get(f"/console/{c.pk}/").content.decode()
    assert 'id="rating-score">5 / 5' in page and 'id="rating-gratuity">Ya' in page

    RatingPolicy.objects.create(office_id="5102", hide_integrity_from_officers=True)
    rating = client.get(f"/api/v1/consultations/{c.pk}").json()["rating"]
    assert rating["gratuity"] is None and rating["illegal_fee"] is None and rating["integrity_hidden"] is True
    assert rating["score"] == 5 and rating["feedback"] == "Ramah"
    page = client.get(f"/console/{c.pk}/").content.decode()
    assert "rating-gratuity" not in page and "disembunyikan sesuai kebijakan kantor" in page
    listed = client.get("/api/v1/ratings").json()["items"]
    assert listed[0]["gratuity"] is None
    client.force_login(officer2_5102)  # a colleague does not see it either
    assert client.get(f"/api/v1/consultations/{c.pk}").json()["rating"]["gratuity"] is None
    client.force_login(supervisor_5102)
    assert client.get(f"/api/v1/consultations/{c.pk}").json()["rating"]["gratuity"] is True


@pytest.mark.django_db
def test_ratings_list_filters_and_means(officer_5102, officer2_5102, supervisor_5102, officer_5101, client, in_hours):
    scores = [(officer_5102, 5, "whatsapp"), (officer_5102, 4, "email"), (officer2_5102, 2, "whatsapp")]
    for officer, score, channel in scores:
        c = claimed_and_answered("5102", officer)
        record_rating(c, by=VisitorActor(c.visitor_id), score=score, channel=channel)
    c = claimed_and_answered("5101", officer_5101)
    actions.close_consultation(c, by=officer_5101)
    record_rating(c, by=VisitorActor(c.visitor_id), score=1, channel="whatsapp")

    client.force_login(officer_5102)  # an officer: their own ratings and mean
    own = client.get("/api/v1/ratings").json()
    assert own["count"] == 2 and own["mean"] == 4.5 and {i["score"] for i in own["items"]} == {4, 5}
    assert "Rata-rata nilai: <strong>4,50</strong> dari 2 penilaian" in client.get("/penilaian/").content.decode()

    client.force_login(supervisor_5102)
    every = client.get("/api/v1/ratings").json()
    assert every["count"] == 3 and every["mean"] == 3.67  # 11/3; 5101 is not theirs
    assert client.get(f"/api/v1/ratings?officer={officer2_5102.pk}").json()["mean"] == 2.0
    assert client.get("/api/v1/ratings?channel=email").json()["count"] == 1
    assert client.get("/api/v1/ratings?score=5").json()["count"] == 1
    assert client.get("/api/v1/ratings?start=2026-03-10&end=2026-03-10").json()["count"] == 3
    assert client.get("/api/v1/ratings?start=2026-03-11").json()["count"] == 0
    assert client.get("/api/v1/ratings?office=5101").status_code == 404
    assert client.get("/api/v1/ratings?score=9").status_code == 400
    paged = client.get("/api/v1/ratings?limit=2").json()
    assert len(paged["items"]) == 2 and paged["next_cursor"] and paged["count"] == 3
    rest = client.get(f"/api/v1/ratings?limit=2&cursor={paged['next_cursor']}").json()
    assert len(rest["items"]) == 1
    html = client.get(f"/penilaian/?officer={officer2_5102.pk}").content.decode()
    assert html.count('class="rating-row"') == 1


@pytest.mark.django_db
def test_policy_set_in_the_admin_goes_through_the_action(admin_5102, client):
    client.force_login(admin_5102)
    response = client.post(
        "/admin/ratings/ratingpolicy/add/", {"office": "5102", "hide_integrity_from_officers": "on"}, follow=True
    )
    assert response.status_code == 200
    assert RatingPolicy.objects.get(office_id="5102").hide_integrity_from_officers is True
    assert AuditLog.objects.get(verb="rating_policy.set").after == {"hide_integrity_from_officers": True}


@pytest.mark.django_db
def test_ratings_lists_take_a_constant_number_of_queries(officer_5102, supervisor_5102, client, in_hours):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(supervisor_5102)

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    def rate(n: int) -> None:
        for _ in range(n):
            c = claimed_and_answered("5102", officer_5102)
            record_rating(c, by=VisitorActor(c.visitor_id), score=2, channel="whatsapp")

    rate(2)
    before = [count(p) for p in ("/api/v1/ratings", "/penilaian/", "/pengawasan/penilaian/")]
    rate(4)
    assert [count(p) for p in ("/api/v1/ratings", "/penilaian/", "/pengawasan/penilaian/")] == before


@pytest.mark.django_db
def test_hiding_office_keeps_a_report_from_the_officer_concerned(
    supervisor_5102, manager_5102, client, in_hours, django_capture_on_commit_callbacks
):
    """The coordinator also serves (small offices); the office hides integrity answers from the officer
    concerned. Their transcript, events, mail and queue then never tell which visitor reported."""
    from pstdesk.lib import events

    RatingPolicy.objects.create(office_id="5102", hide_integrity_from_officers=True)
    reported = claimed_and_answered("5102", supervisor_5102)
    silent = claimed_and_answered("5102", supervisor_5102)
    before = {c.pk: c.messages.count() for c in (reported, silent)}
    published: list[tuple[list[str], dict[str, Any]]] = []
    original = events.publish

    def capture(groups, event):  # the real bus, observed
        published.append((list(groups), event))
        original(groups, event)

    events.publish = capture
    mail.outbox.clear()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record_rating(reported, by=VisitorActor(reported.visitor_id), score=4, illegal_fee=True, channel="whatsapp")
        with django_capture_on_commit_callbacks(execute=True):
            record_rating(silent, by=VisitorActor(silent.visitor_id), score=4, channel="whatsapp")
    finally:
        events.publish = original

    alert = RatingAlert.objects.get()
    assert alert.consultation_id == reported.pk and alert.officer_id == supervisor_5102.pk
    # the transcript the officer reads after the rating is the same for the visitor who reported and the other
    client.force_login(supervisor_5102)

    def after_rating(c: Consultation) -> list[tuple[str, str, dict[str, Any]]]:
        items = client.get(f"/api/v1/consultations/{c.pk}/messages?after={before[c.pk]}").json()["items"]
        return [(m["direction"], m["body"], m["payload"]) for m in items]

    assert after_rating(reported) == after_rating(silent)
    [(direction, body, payload)] = after_rating(reported)
    assert direction == "out" and payload == {"integrity_notice": True}
    assert "hanya dibaca oleh pengawas pelayanan" in body and "langsung kami teruskan kepada pengawas" in body
    # the rating itself: score and feedback, the integrity answers hidden
    rating = client.get(f"/api/v1/consultations/{reported.pk}").json()["rating"]
    assert rating["integrity_hidden"] is True and rating["illegal_fee"] is None
    # the alert reaches the manager alone: no event to the office's consoles or to the officer, no mail to them
    alert_events = [g for g, e in published if e["type"] == "rating.alert"]
    assert alert_events == [[f"user.{manager_5102.pk}"]]
    alert_mails = [m for m in mail.outbox if f"A#{alert.pk}" in m.subject]
    assert [m.to for m in alert_mails] == [[manager_5102.email]]
    # the queue: not for the officer concerned (404 like another office's item), the manager works it
    assert f'data-alert="{alert.pk}"' not in client.get("/pengawasan/penilaian/").content.decode()
    assert client.get(f"/pengawasan/penilaian/{alert.pk}/").status_code == 404
    assert client.post(f"/pengawasan/penilaian/{alert.pk}/", {"decision": "unfounded", "text": "x"}).status_code == 404
    client.force_login(manager_5102)
    assert f'data-alert="{alert.pk}"' in client.get("/pengawasan/penilaian/").content.decode()
    detail = client.get(f"/pengawasan/penilaian/{alert.pk}/").content.decode()
    assert "Pungutan liar</dt><dd>Ya" in detail
    assert RatingAlert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


@pytest.mark.django_db
def test_without_the_setting_only_the_reporter_is_told(officer_5102, in_hours):
    reported = claimed_and_answered("5102", officer_5102)
    silent = claimed_and_answered("5102", officer_5102)
    record_rating(reported, by=VisitorActor(reported.visitor_id), score=5, gratuity=True, channel="whatsapp")
    record_rating(silent, by=VisitorActor(silent.visitor_id), score=5, channel="whatsapp")
    told = reported.messages.get(payload__integrity_report_forwarded=True)
    assert "telah kami teruskan kepada pengawas pelayanan" in told.body and told.is_automatic
    assert not silent.messages.filter(is_automatic=True, payload__has_key="integrity_report_forwarded").exists()
    assert not silent.messages.filter(payload__has_key="integrity_notice").exists()
