"""The consultations API: the whole procedure for both offices, refusals as JSON, office isolation, and query
counts that do not grow with the number of consultations."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pstdesk.audit.models import AuditLog
from pstdesk.consultations import actions
from pstdesk.consultations.models import Consultation, Message, Status
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import SystemActor

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _in_hours():
    with time_machine.travel("2026-03-10 02:00:00+00:00", tick=True):
        yield


def api(client, user):
    client.force_login(user)
    return client


def new_consultation(office: str, channel: str = "whatsapp") -> Consultation:
    c = actions.receive_message(make_inbound(office=office, channel=channel)).consultation
    complete_requirements(c.visitor, office)
    Consultation.objects.filter(pk=c.pk).update(introduction_given=True)  # 5101's e-mail introduction
    actions.refresh_requirements(c, by=SystemActor("test"))
    return c


def post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


def test_5102_whole_procedure_through_the_api(client, officer_5102, fake_adapter, django_capture_on_commit_callbacks):
    c = new_consultation("5102")
    base = f"/api/v1/consultations/{c.pk}"
    api(client, officer_5102)
    assert client.get(base).json()["status"] == "new"
    r = post(client, base + "/claim")
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["assigned_to"]["id"] == officer_5102.pk
    assert r.json()["due_at"]
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(base + "/reply", {"body": "Tabel terlampir", "files": [_pdf()]})
    assert r.status_code == 201, r.content
    assert r.json()["attachments"][0]["filename"] == "tabel.pdf"
    assert post(client, base + "/topic", {"topic": "data", "subject": "Kemiskinan"}).json()["topic"] == "data"
    assert post(client, base + "/note", {"body": "cek lagi"}).status_code == 201
    r = post(client, base + "/close")
    assert r.status_code == 409 and "dijawab" in r.json()["detail"]
    assert post(client, base + "/answered").json()["status"] == "answered"
    r = post(client, base + "/close")
    assert r.status_code == 409 and "penilaian" in r.json()["detail"]
    assert post(client, base + "/request-rating").json()["status"] == "awaiting_rating"
    r = post(client, base + "/rating", {"score": 5, "feedback": "Mantap", "channel": "phone"})
    assert r.status_code == 201 and r.json()["status"] == "rated"
    assert post(client, base + "/rating", {"score": 4}).status_code == 409
    assert post(client, base + "/close").json()["status"] == "closed"
    messages = client.get(base + "/messages").json()
    kinds = [(m["direction"], m["kind"]) for m in messages["items"]]
    assert ("in", "message") in kinds and ("out", "note") in kinds
    sent = [m for m in messages["items"] if m["body"] == "Tabel terlampir"][0]
    assert sent["delivery_status"] == "sent" and sent["external_id"].startswith("wamid.")
    after = client.get(base + f"/messages?after={sent['seq']}").json()["items"]
    assert all(m["seq"] > sent["seq"] for m in after)


def test_5101_whole_procedure_through_the_api(client, officer_5101, fake_adapter):
    c = new_consultation("5101", channel="email")
    base = f"/api/v1/consultations/{c.pk}"
    api(client, officer_5101)
    assert post(client, base + "/request-clear").json()["status"] == "open"
    r = post(client, base + "/reply", {"body": "Data ada di tabel", "answer": True})
    assert r.status_code == 201
    assert client.get(base).json()["status"] == "answered"
    r = post(client, base + "/rating", {"score": 5})
    assert r.status_code == 409 and "tutup" in r.json()["detail"]
    assert post(client, base + "/request-rating").status_code == 409
    closed = post(client, base + "/close").json()
    assert closed["status"] == "closed" and closed["rating_requested_at"]
    r = post(client, base + "/rating", {"score": 4, "gratuity": False, "illegal_fee": False, "channel": "email"})
    assert r.status_code == 201 and r.json()["status"] == "closed" and r.json()["rated_at"]


def test_refusal_changes_nothing(client, officer_5102):
    c = new_consultation("5102")
    api(client, officer_5102)
    row = Consultation.objects.filter(pk=c.pk).values().get()
    audits = AuditLog.objects.count()
    for path, data in [
        ("/answered", None),
        ("/close", None),
        ("/request-rating", None),
        ("/rating", {"score": 3}),
        ("/topic", {"topic": "gossip"}),
        ("/reply", {"body": ""}),
    ]:
        r = post(client, f"/api/v1/consultations/{c.pk}{path}", data)
        assert r.status_code in (400, 409), path
        assert r.json()["detail"], path
    assert Consultation.objects.filter(pk=c.pk).values().get() == row
    assert AuditLog.objects.count() == audits


def _pdf(name="tabel.pdf", content=PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_bad_attachments_are_refused_and_nothing_is_stored(client, officer_5102, settings):
    from pstdesk.consultations.models import Attachment

    settings.ATTACHMENT_MAX_BYTES = 2048
    c = new_consultation("5102")
    api(client, officer_5102)
    base = f"/api/v1/consultations/{c.pk}/reply"
    messages = Message.objects.count()
    cases = [
        (_pdf(content=b"%PDF-" + b"x" * 4000), "terlalu besar"),
        (_pdf(name="run.exe", content=b"MZ\x90\x00"), "tidak diterima"),
        (_pdf(name="laporan.pdf", content=b"\x89PNG\r\n\x1a\n...."), "tidak sesuai"),
        (_pdf(name="data.xlsx", content=b"PK\x03\x04garbage"), "tidak sesuai"),
    ]
    for upload, text in cases:
        r = client.post(base, {"body": "lihat lampiran", "files": [_pdf(), upload]})
        assert r.status_code == 400 and text in r.json()["detail"], r.json()
    assert Message.objects.count() == messages and Attachment.objects.count() == 0


def test_outsider_gets_404_everywhere(client, officer_5101, officer_5102):
    c = new_consultation("5102")
    message = actions.post_reply(c, by=officer_5102, body="x", attachments=[_pdf()])
    attachment = message.attachments.get()
    api(client, officer_5101)
    base = f"/api/v1/consultations/{c.pk}"
    for path in ["", "/messages", "/canned-replies"]:
        assert client.get(base + path).status_code == 404, path
    for path in [
        "/reply",
        "/note",
        "/close",
        "/request-rating",
        "/rating",
        "/assign",
        "/claim",
        "/transfer",
        "/topic",
        "/request-clear",
        "/answered",
    ]:
        body = {"body": "x", "score": 5, "to": officer_5101.pk, "topic": "data"}
        assert post(client, base + path, body).status_code == 404, path
    assert client.get(f"/lampiran/{attachment.pk}/").status_code == 404
    assert client.get("/lampiran/999999/").status_code == 404
    listed = client.get("/api/v1/consultations").json()["items"]
    assert c.pk not in [item["id"] for item in listed]
    # the same endpoints answer the office's own officer
    api(client, officer_5102)
    download = client.get(f"/lampiran/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF


def test_visitor_downloads_only_their_own_attachment(client, officer_5102):
    c = new_consultation("5102")
    message = actions.post_reply(c, by=officer_5102, body="x", attachments=[_pdf()])
    attachment = message.attachments.get()
    session = client.session
    session["visitor_ids"] = [c.visitor_id + 1000]
    session.save()
    assert client.get(f"/lampiran/{attachment.pk}/").status_code == 404
    session["visitor_ids"] = [c.visitor_id]
    session.save()
    assert client.get(f"/lampiran/{attachment.pk}/").status_code == 200


def test_list_filters_and_cursor(client, officer_5102, officer2_5102):
    mine = new_consultation("5102")
    actions.assign_consultation(mine, to=officer_5102, by=officer_5102)
    other = new_consultation("5102", channel="livechat_pfa")
    actions.assign_consultation(other, to=officer2_5102, by=officer_5102)
    api(client, officer_5102)
    ids = lambda r: [i["id"] for i in r.json()["items"]]  # noqa: E731
    assert ids(client.get("/api/v1/consultations?assigned=me")) == [mine.pk]
    assert ids(client.get("/api/v1/consultations?channel=livechat_pfa")) == [other.pk]
    assert client.get("/api/v1/consultations?status=bogus").status_code == 400
    page = client.get("/api/v1/consultations?limit=1").json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get(f"/api/v1/consultations?limit=1&cursor={page['next_cursor']}").json()
    assert rest["items"][0]["id"] != page["items"][0]["id"]
    assert ids(client.get(f"/api/v1/consultations?q=%23{mine.pk}")) == [mine.pk]


def _bulk(n: int) -> None:
    visitors = Visitor.objects.bulk_create([Visitor(name=f"V{i}", email=f"v{i}@example.test") for i in range(n)])
    Consultation.objects.bulk_create(
        [Consultation(office_id="5102", visitor=v, channel="whatsapp", status=Status.OPEN) for v in visitors]
    )


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow(client, officer_5102):
    api(client, officer_5102)
    target = new_consultation("5102")
    for i in range(3):
        actions.post_reply(target, by=officer_5102, body=f"r{i}", attachments=[_pdf()])
    _bulk(9)
    small = {
        p: _count(client, p)
        for p in [
            "/api/v1/consultations",
            f"/api/v1/consultations/{target.pk}",
            f"/api/v1/consultations/{target.pk}/messages",
        ]
    }
    _bulk(990)
    for i in range(20):
        actions.post_reply(target, by=officer_5102, body=f"s{i}", attachments=[_pdf()])
    large = {p: _count(client, p) for p in small}
    assert Consultation.objects.count() >= 1000
    assert small == large
    assert small["/api/v1/consultations"] <= 5


def test_a_multipart_answer_must_be_a_boolean_word(client, officer_5102, fake_adapter):
    c = new_consultation("5102")
    api(client, officer_5102)
    base = f"/api/v1/consultations/{c.pk}/reply"
    messages = Message.objects.count()
    for wrong in ("-2.778954435533879e+172", "maybe", "2"):
        r = client.post(base, {"body": "Jawaban", "answer": wrong})
        assert r.status_code == 400 and "answer" in r.json()["detail"], r.content
    assert Message.objects.count() == messages
    assert client.post(base, {"body": "Jawaban", "answer": "false"}).status_code == 201
    c.refresh_from_db()
    assert c.answered_at is None
