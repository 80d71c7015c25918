"""The officer console's pages and verbs: queues, filters, constant query counts, office isolation, escaping,
and each verb going through its action (refusals change nothing)."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pstdesk.accounts.models import User
from pstdesk.audit.models import AuditLog
from pstdesk.consultations.actions import receive_message
from pstdesk.consultations.models import Consultation, Message, MessageKind, Status
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import SystemActor

pytestmark = pytest.mark.django_db

WORKING_TIME = "2026-03-10 02:00:00+00:00"  # Tuesday 10:00 WITA


@pytest.fixture(autouse=True)
def _in_hours():
    with time_machine.travel(WORKING_TIME, tick=True):
        yield


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bulk_consultations(office: str, n: int, **fields) -> None:
    visitors = Visitor.objects.bulk_create([Visitor(name=f"Pengguna {i}") for i in range(n)])
    Consultation.objects.bulk_create(
        [Consultation(office_id=office, visitor=v, channel="whatsapp", status=Status.OPEN, **fields) for v in visitors]
    )


def open_consultation(office: str = "5102", **inbound_fields) -> Consultation:
    received = receive_message(make_inbound(office=office, **inbound_fields))
    return Consultation.objects.get(pk=received.consultation.pk)


def ready_consultation(office: str = "5102") -> Consultation:
    """A consultation that is open: requirements complete and the request marked clear."""
    from pstdesk.consultations.actions import mark_request_clear, refresh_requirements

    c = open_consultation(office)
    complete_requirements(c.visitor, office)
    refresh_requirements(c, by=SystemActor("test"))
    mark_request_clear(c, by=SystemActor("test"))
    c.refresh_from_db()
    assert c.status == Status.OPEN
    return c


def config_of(response, script: str = "console-config") -> dict:
    html = response.content.decode()
    start = html.index(f'id="{script}"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


# --- the inbox ------------------------------------------------------------------------------------------------


def test_inbox_requires_login():
    response = Client().get("/console/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_account_without_office_is_refused(db):
    from pstdesk.conftest import make_user

    nobody = make_user("tamu", None)
    assert client_for(nobody).get("/console/").status_code == 403


def test_queues_split_unassigned_mine_and_office(officer_5102, officer2_5102):
    bulk_consultations("5102", 2)
    bulk_consultations("5102", 3, assigned_to=officer_5102)
    bulk_consultations("5102", 1, assigned_to=officer2_5102)
    bulk_consultations("5101", 4)  # another office: never listed
    client = client_for(officer_5102)
    sizes = {}
    for queue in ("unassigned", "mine", "office"):
        body = client.get("/console/rows/", {"queue": queue}).json()
        sizes[queue] = len(body["rows"])
        assert {row["office"] for row in body["rows"]} == {"5102"}
    assert sizes == {"unassigned": 2, "mine": 3, "office": 6}
    assert body["counts"] == {"unassigned": 2, "mine": 3, "office": 6}


def test_filters_by_channel_status_and_topic(officer_5102):
    bulk_consultations("5102", 2)
    bulk_consultations("5102", 1, topic="metadata")
    Consultation.objects.filter(pk=Consultation.objects.order_by("pk").first().pk).update(channel="email")
    Consultation.objects.create(
        office_id="5102", visitor=Visitor.objects.create(name="X"), channel="whatsapp", status=Status.CLOSED
    )
    client = client_for(officer_5102)

    def ids(**params):
        return {r["id"] for r in client.get("/console/rows/", {"queue": "office", **params}).json()["rows"]}

    assert len(ids()) == 3  # closed ones are out of the default (active) view
    assert len(ids(channel="email")) == 1
    assert len(ids(topic="metadata")) == 1
    assert len(ids(status="closed")) == 1
    assert len(ids(channel="nonsense")) == 3  # unknown filter values are ignored, not an error


def test_row_shows_what_the_officer_needs(officer_5102):
    c = open_consultation(sender_name="Komang Ayu")
    row = client_for(officer_5102).get("/console/rows/", {"queue": "office"}).json()["rows"][0]
    assert row["id"] == c.pk
    assert row["visitor_name"] == "Komang Ayu"
    assert row["channel_label"] == "WhatsApp"
    assert row["status"] == c.status and row["status_label"]
    assert "due_at" in row and row["last_message_at"] is not None
    assert "assigned_name" in row and row["topic_label"] == ""


@pytest.mark.parametrize("url", ["/console/", "/console/rows/?queue=office"])
def test_inbox_queries_are_constant(officer_5102, url):
    client = client_for(officer_5102)
    client.get(url)  # warm caches (session, content types)
    bulk_consultations("5102", 10, assigned_to=officer_5102)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    bulk_consultations("5102", 990, assigned_to=officer_5102)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"] for q in large.captured_queries]
    assert len(small.captured_queries) <= 12


def test_consultation_view_queries_are_constant(officer_5102):
    c = ready_consultation()
    client = client_for(officer_5102)
    url = f"/console/{c.pk}/"
    client.get(url)

    def add_messages(n: int) -> None:
        start = Consultation.objects.get(pk=c.pk).last_seq
        Message.objects.bulk_create(
            [
                Message(consultation=c, seq=start + i + 1, direction="in", channel="whatsapp", body=f"m{i}")
                for i in range(n)
            ]
        )
        Consultation.objects.filter(pk=c.pk).update(last_seq=start + n)

    add_messages(10)
    bulk_consultations("5102", 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add_messages(990)
    bulk_consultations("5102", 990)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


# --- the consultation view ---------------------------------------------------------------------------------------


def test_consultation_view_shows_transcript_guestbook_and_requirements(officer_5102):
    c = ready_consultation()
    response = client_for(officer_5102).get(f"/console/{c.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Universitas Udayana" in html
    assert "Perempuan" in html  # sex code 2, labelled from the code list
    assert 'data-code="guestbook" class="done"' in html
    config = config_of(response, "pane-config")  # the open conversation's part of the three panes
    assert [m["seq"] for m in config["messages"]] == [1]
    assert config["state"]["id"] == c.pk and "reply" in config["state"]["allowed"]


def test_consultation_of_another_office_is_404_like_a_missing_one(officer_5101):
    c = open_consultation("5102")
    client = client_for(officer_5101)
    for url in (f"/console/{c.pk}/", f"/console/{c.pk}/state/", "/console/999999/"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/console/{c.pk}/reply/", {"body": "hai"})
    assert response.status_code == 404
    assert not Message.objects.filter(consultation=c, direction="out").exists()


def test_visitor_text_is_escaped(officer_5102):
    c = open_consultation(sender_name="<script>alert(1)</script>", body="<img src=x onerror=alert(2)>")
    html = client_for(officer_5102).get(f"/console/{c.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- verbs ---------------------------------------------------------------------------------------------------


def test_reply_goes_through_post_reply(officer_5102, fake_adapter):
    c = ready_consultation()
    response = client_for(officer_5102).post(f"/console/{c.pk}/reply/", {"body": "Datanya ada di tautan ini"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"]["direction"] == "out" and body["message"]["body"] == "Datanya ada di tautan ini"
    message = Message.objects.get(pk=body["message"]["id"])
    assert message.author == officer_5102
    assert AuditLog.objects.filter(verb="message.replied", subject_id=str(message.pk)).exists()


def test_reply_as_answer_marks_answered(officer_5102, fake_adapter):
    c = ready_consultation()
    client = client_for(officer_5102)
    assert client.post(f"/console/{c.pk}/topic/", {"topic": "data"}).status_code == 200
    response = client.post(f"/console/{c.pk}/reply/", {"body": "Jawaban", "answer": "1"})
    assert response.status_code == 200
    assert response.json()["state"]["status"] == Status.ANSWERED
    c.refresh_from_db()
    assert c.status == Status.ANSWERED and c.answered_at is not None


def test_answer_refused_before_open_writes_nothing(officer_5102, fake_adapter):
    c = open_consultation()  # requirements missing: not open
    response = client_for(officer_5102).post(f"/console/{c.pk}/reply/", {"body": "Jawaban", "answer": "1"})
    assert response.status_code == 409
    assert "belum terbuka" in response.json()["error"]
    assert not Message.objects.filter(consultation=c, direction="out", is_automatic=False).exists()


def test_disallowed_attachment_is_refused_and_nothing_is_stored(officer_5102, fake_adapter):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = ready_consultation()
    upload = SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = client_for(officer_5102).post(f"/console/{c.pk}/reply/", {"body": "lihat", "files": [upload]})
    assert response.status_code == 400
    assert ".exe" in response.json()["error"] or "virus.exe" in response.json()["error"]
    assert not Message.objects.filter(consultation=c, direction="out", is_automatic=False).exists()


def test_attachment_upload(officer_5102, fake_adapter):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = ready_consultation()
    upload = SimpleUploadedFile("tabel.csv", b"tahun,nilai\n2025,1\n", content_type="text/csv")
    response = client_for(officer_5102).post(f"/console/{c.pk}/reply/", {"body": "", "files": [upload]})
    assert response.status_code == 200, response.content
    assert [a["filename"] for a in response.json()["message"]["attachments"]] == ["tabel.csv"]


def test_note_is_internal(officer_5102):
    c = ready_consultation()
    response = client_for(officer_5102).post(f"/console/{c.pk}/note/", {"body": "cek tabel 3"})
    assert response.status_code == 200
    assert Message.objects.get(pk=response.json()["message"]["id"]).kind == MessageKind.NOTE


def test_empty_note_is_a_clear_error(officer_5102):
    c = ready_consultation()
    response = client_for(officer_5102).post(f"/console/{c.pk}/note/", {"body": "  "})
    assert response.status_code == 400 and response.json()["error"]
    assert not Message.objects.filter(consultation=c, kind=MessageKind.NOTE).exists()


def test_claim_and_transfer(officer_5102, officer2_5102, officer_5101):
    c = open_consultation()
    Consultation.objects.filter(pk=c.pk).update(assigned_to=None)
    client = client_for(officer_5102)
    assert client.post(f"/console/{c.pk}/claim/").status_code == 200
    c.refresh_from_db()
    assert c.assigned_to == officer_5102
    # another office's officer is not a valid target
    response = client.post(f"/console/{c.pk}/transfer/", {"to": officer_5101.pk})
    assert response.status_code == 400
    c.refresh_from_db()
    assert c.assigned_to == officer_5102
    response = client.post(f"/console/{c.pk}/transfer/", {"to": officer2_5102.pk})
    assert response.status_code == 200, response.content
    c.refresh_from_db()
    assert c.assigned_to == officer2_5102
    assert response.json()["state"]["assigned_name"] == "made"


def test_set_topic_and_unknown_topic(officer_5102):
    c = ready_consultation()
    client = client_for(officer_5102)
    assert client.post(f"/console/{c.pk}/topic/", {"topic": "nonsense"}).status_code == 400
    response = client.post(f"/console/{c.pk}/topic/", {"topic": "metadata", "subject": "Kemiskinan"})
    assert response.status_code == 200
    c.refresh_from_db()
    assert (c.topic, c.subject) == ("metadata", "Kemiskinan")


def test_close_refused_before_rating_in_5102(officer_5102, fake_adapter):
    c = ready_consultation()
    client = client_for(officer_5102)
    client.post(f"/console/{c.pk}/topic/", {"topic": "data"})  # the console answers only with a topic
    assert client.post(f"/console/{c.pk}/answer/").status_code == 200
    response = client.post(f"/console/{c.pk}/close/")
    assert response.status_code == 409 and "penilaian" in response.json()["error"]
    c.refresh_from_db()
    assert c.status == Status.ANSWERED
    assert client.post(f"/console/{c.pk}/request-rating/").json()["state"]["status"] == Status.AWAITING_RATING


def test_unknown_verb_is_404(officer_5102):
    c = ready_consultation()
    assert client_for(officer_5102).post(f"/console/{c.pk}/explode/").status_code == 404


def test_duty_toggle_and_staffing_warning(officer_5102):
    client = client_for(officer_5102)
    response = client.post("/console/duty/", {"on_duty": "0"})
    assert response.status_code == 200
    body = response.json()
    assert body["on_duty"] is False
    assert [w["office"] for w in body["staffing"]] == ["5102"]  # nobody on duty now: under the minimum of two
    officer_5102.refresh_from_db()
    assert officer_5102.on_duty is False
    assert AuditLog.objects.filter(verb="user.duty").exists()
    assert client.post("/console/duty/", {"on_duty": "maybe"}).status_code == 400
    html = client.get("/console/").content.decode()
    assert 'id="staffing"' in html and "mensyaratkan minimal 2" in html


def test_whatsapp_consultation_shows_its_24_hour_window_and_sends_templates(officer_5102: User) -> None:
    from datetime import timedelta

    from pstdesk.channels.whatsapp.models import TemplateStatus, WhatsAppTemplate
    from pstdesk.consultations.actions import receive_message
    from pstdesk.offices.models import Office
    from pstdesk.testing.identities import inbound_message, whatsapp_ids

    office = Office.objects.get(code="5102")
    received = receive_message(
        inbound_message(
            channel="whatsapp",
            office_code="5102",
            external_id="wamid.window-1",
            body="Halo",
            sender_wa_id="6281234500001",
        )
    )
    consultation = received.consultation
    WhatsAppTemplate.objects.create(
        waba_id=whatsapp_ids(office.code)[1],
        name="pst_lanjutan",
        language="id",
        status=TemplateStatus.APPROVED,
        components=[{"type": "BODY", "text": "Halo {{1}}, jawaban konsultasi Anda sudah siap."}],
    )
    client = Client()
    client.force_login(officer_5102)
    state = client.get(f"/console/{consultation.pk}/state/").json()["state"]
    consultation.refresh_from_db()
    assert consultation.last_inbound_at is not None
    assert state["whatsapp_window_closes_at"].startswith(
        (consultation.last_inbound_at + timedelta(hours=24)).isoformat()[:16]
    )
    page = client.get(f"/console/{consultation.pk}/").content.decode()
    assert 'id="state-window"' in page and "pst_lanjutan" in page

    wrong = client.post(f"/console/{consultation.pk}/template/", {"template": "pst_lanjutan|id", "params": ""})
    assert wrong.status_code == 400 and "parameter" in wrong.json()["error"]
    sent = client.post(f"/console/{consultation.pk}/template/", {"template": "pst_lanjutan|id", "params": "Wayan"})
    assert sent.status_code == 200
    assert sent.json()["message"]["body"] == "Halo Wayan, jawaban konsultasi Anda sudah siap."


def test_clarify_asks_the_visitor_and_holds_the_clock(officer_5102, fake_adapter):
    c = open_consultation()
    complete_requirements(c.visitor, "5102")
    from pstdesk.consultations.actions import refresh_requirements

    refresh_requirements(c, by=SystemActor("test"))
    c.refresh_from_db()
    assert c.due_at is not None  # nobody marked it clear, the clock runs
    client = client_for(officer_5102)
    page = client.get(f"/console/{c.pk}/")
    assert b'data-verb="clarify"' in page.content
    response = client.post(f"/console/{c.pk}/clarify/", {"body": "Data tahun berapa?"})
    assert response.status_code == 200, response.content
    state = response.json()["state"]
    assert state["clarification_asked_at"] and state["due_at"] is None
    assert response.json()["message"]["body"] == "Data tahun berapa?"
    # asking again is refused with a message and changes nothing
    again = client.post(f"/console/{c.pk}/clarify/", {"body": "Lagi?"})
    assert again.status_code == 409 or again.status_code == 400
    assert again.json()["error"]
    assert Message.objects.filter(consultation=c, body="Lagi?").count() == 0
