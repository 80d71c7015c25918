"""The visitor's rights under UU 27/2022 and erasure that erases (issue 12, items 5 and 6).

Must show: a visitor's export contains everything about them and nothing about anyone else; after an approved
erasure a search of the whole database dump for their name, e-mail, number and message text finds nothing, and
the month's report figures are unchanged.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Avg, Count
from django.test import Client
from django.utils import timezone

from pstdesk.accounts.models import Role, User
from pstdesk.audit.chain import seal_chains, verify_chain
from pstdesk.audit.models import AuditLog
from pstdesk.channels.email.intake import ingest
from pstdesk.channels.email.models import InboundEmail, Mailbox
from pstdesk.channels.webhooks import drain_all
from pstdesk.channels.whatsapp.models import WebhookDelivery
from pstdesk.channels.whatsapp.parsing import sign
from pstdesk.complaints.actions import file_complaint
from pstdesk.complaints.models import Complaint
from pstdesk.conftest import make_user
from pstdesk.consultations import actions as core
from pstdesk.consultations.models import Attachment, Consultation, Message
from pstdesk.consultations.tests.conftest import fake_adapter  # noqa: F401  (the fixture)
from pstdesk.guestbook import actions as guestbook
from pstdesk.guestbook import rights
from pstdesk.guestbook.models import GuestbookEntry, PrivacyRequest, PrivacyRequestStatus, Visitor
from pstdesk.guestbook.tests.factories import guestbook_data
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.ratings.actions import record_rating
from pstdesk.ratings.models import Rating

pytestmark = pytest.mark.django_db

SECRET = "privacy-test-secret"

WAYAN = {
    "name": "Wayan Sudarsana",
    "email": "wayan.sudarsana@example.test",
    "wa_id": "6281298760001",
    "text": "Mohon data kemiskinan Tabanan untuk skripsi di Undiksha",
    "feedback": "Petugasnya sabar menjelaskan metadata",
    "file": "lampiran-wayan.csv",
}
KOMANG = {
    "name": "Komang Ayu Lestari",
    "email": "komang.lestari@example.test",
    "wa_id": "6281298760002",
    "text": "Minta data IPM Tabanan per tahun",
}
RINI = {"name": "Rini Kusumawati", "email": "rini.kusumawati@example.test", "text": "permohonan data nelayan"}


def _webhook(client: Client, settings: Any, who: dict[str, str], n: int) -> None:
    settings.WHATSAPP_APP_SECRET = SECRET
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "205102",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "6285173215102", "phone_number_id": "105102"},
                            "contacts": [{"profile": {"name": who["name"]}, "wa_id": who["wa_id"]}],
                            "messages": [
                                {
                                    "from": who["wa_id"],
                                    "id": f"wamid.privacy{n}",
                                    "timestamp": str(int(timezone.now().timestamp())),
                                    "text": {"body": who["text"]},
                                    "type": "text",
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    raw = json.dumps(body).encode()
    response = client.post(
        "/channels/whatsapp/webhook",
        data=raw,
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(SECRET, raw)},
    )
    assert response.status_code == 200
    drain_all()  # the webhook worker's step: the POST only stored the body


def _visitor_with_everything(client: Client, settings: Any, officer: User, who: dict[str, str], n: int) -> Visitor:
    _webhook(client, settings, who, n)
    consultation = Consultation.objects.get(visitor__identities__key=who["wa_id"])
    visitor = consultation.visitor
    guestbook.fill_guestbook(
        visitor,
        office=consultation.office,
        channel="whatsapp",
        data=guestbook_data(
            name=who["name"], email=who.get("email", ""), whatsapp="+" + who["wa_id"], institution_name="Undiksha"
        ),
        by=VisitorActor(visitor.pk),
    )
    guestbook.give_consent(
        visitor, notice_version=guestbook.PRIVACY_NOTICE_VERSION, channel="whatsapp", by=VisitorActor(visitor.pk)
    )
    Visitor.objects.filter(pk=visitor.pk).update(email_verified_at=timezone.now())  # the code round-trip: elsewhere
    core.refresh_requirements(consultation, by=SystemActor("test"))
    core.mark_request_clear(consultation, by=officer)
    upload = SimpleUploadedFile(who.get("file", "tabel.csv"), b"kecamatan,jumlah\nKediri,12\n", "text/csv")
    core.post_reply(consultation, by=officer, body=f"Halo {who['name']}, berikut tabelnya.", attachments=[upload])
    core.mark_answered(consultation, by=officer)
    core.request_rating(consultation, by=officer)
    record_rating(
        consultation, by=VisitorActor(visitor.pk), score=4, feedback=who.get("feedback", ""), channel="whatsapp"
    )
    core.close_consultation(consultation, by=officer)
    # A complaint about it through the office's WhatsApp, naming the visitor's text and contact.
    file_complaint(
        consultation.office,
        kind="complaint",
        source="whatsapp",
        text=f"Keluhan: {who['text']}",
        contact=who.get("email") or "+" + who["wa_id"],
        visitor=visitor,
        consultation=consultation,
        by=officer,
    )
    return Visitor.objects.get(pk=visitor.pk)


def _dump() -> str:
    """Every value of every table, as text (binary columns decoded), the way a database dump would show it."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from the database itself
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    parts.append(str(value))
    return "\n".join(parts).lower()


def _figures() -> dict[str, Any]:
    """The counts a monthly report is made of: consultations by office, channel, topic, status; ratings; the
    coded guestbook answers."""
    return {
        "consultations": list(
            Consultation.objects.values("office_id", "channel", "topic", "status")
            .annotate(n=Count("pk"))
            .order_by("office_id", "channel", "topic", "status")
        ),
        "messages": Message.objects.count(),
        "ratings": Rating.objects.aggregate(n=Count("pk"), avg=Avg("score")),
        "guestbook": list(
            GuestbookEntry.objects.values("office_id", "sex", "age_group", "education", "occupation", "purpose")
            .annotate(n=Count("pk"))
            .order_by("office_id", "sex")
        ),
    }


def _email_visitor(smtp_settings: Any) -> Visitor:
    raw = (
        f"From: {RINI['name']} <{RINI['email']}>\r\nTo: bps5101@bps.go.id\r\nSubject: {RINI['text']}\r\n"
        f"Message-ID: <rini.1@example.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0800\r\n\r\n"
        f"Selamat pagi, nama saya {RINI['name']} dari Universitas Udayana. Saya {RINI['text']} Jembrana.\r\n"
    ).encode()
    email = ingest(Mailbox.objects.get(office_id="5101"), raw)
    assert email.consultation_id is not None
    visitor = Consultation.objects.get(pk=email.consultation_id).visitor
    Visitor.objects.filter(pk=visitor.pk).update(email=RINI["email"], email_verified_at=timezone.now())
    return Visitor.objects.get(pk=visitor.pk)


def test_export_has_everything_about_the_visitor_and_nothing_about_others(
    client: Client, settings: Any, officer_5102: User, fake_adapter: Any
) -> None:
    wayan = _visitor_with_everything(client, settings, officer_5102, WAYAN, 1)
    _visitor_with_everything(client, settings, officer_5102, KOMANG, 2)
    data = rights.export_visitor_data(wayan)
    text = json.dumps(data, ensure_ascii=False)
    assert data["visitor"]["name"] == WAYAN["name"] and data["visitor"]["email"] == WAYAN["email"]
    assert data["visitor"]["whatsapp"] == "+" + WAYAN["wa_id"]
    assert [g["institution_name"] for g in data["guestbook_entries"]] == ["Undiksha"]
    assert len(data["consents"]) == 1
    (consultation,) = data["consultations"]
    bodies = [m["body"] for m in consultation["messages"]]
    assert WAYAN["text"] in bodies and any(WAYAN["name"] in b for b in bodies)
    assert any(a["filename"] == WAYAN["file"] for m in consultation["messages"] for a in m["attachments"])
    assert consultation["rating"]["score"] == 4 and consultation["rating"]["feedback"] == WAYAN["feedback"]
    assert {"rating.recorded", "consultation.closed"} <= {p["what"] for p in data["processing"]}
    for other in KOMANG.values():
        assert other not in text  # nothing about Komang


def test_the_link_page_and_json_download(client: Client, settings: Any, officer_5102: User, fake_adapter: Any) -> None:
    wayan = _visitor_with_everything(client, settings, officer_5102, WAYAN, 1)
    mail.outbox.clear()
    client.post("/privasi/data/", {"address": WAYAN["email"]})
    unknown = client.post("/privasi/data/", {"address": "nobody@example.test"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [WAYAN["email"]]  # only to the verified address
    assert b"tautan telah dikirim" in unknown.content  # the same answer for an unknown address
    link = next(line for line in mail.outbox[0].body.splitlines() if "/privasi/data/" in line).strip()
    path = link.removeprefix(settings.PUBLIC_URL)
    page = client.get(path)
    assert page.status_code == 200 and WAYAN["name"] in page.content.decode() and page["Cache-Control"] == "no-store"
    readable = page.content.decode()
    assert re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", readable) is None  # no ISO moments in UTC on the page
    assert "WITA" in readable and "Tabanan · WhatsApp ·" in readable  # office time, names and labels
    download = client.get(path + "json/")
    assert download["Content-Disposition"].startswith("attachment")
    assert json.loads(download.content)["visitor"]["email"] == WAYAN["email"]
    assert client.get("/privasi/data/forged-token/").status_code == 404
    assert rights.visitor_from_token(rights.rights_token(wayan)) == wayan


def test_requests_go_to_the_managers_queue_with_a_72_hour_clock(
    client: Client,
    settings: Any,
    officer_5102: User,
    manager_5102: User,
    officer_5101: User,
    fake_adapter: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    wayan = _visitor_with_everything(client, settings, officer_5102, WAYAN, 1)
    path = f"/privasi/data/{rights.rights_token(wayan)}/"
    client.post(path, {"kind": "correct", "institution_name": "Universitas Pendidikan Ganesha"})
    client.post(path, {"kind": "withdraw"})
    correct, withdraw = PrivacyRequest.objects.order_by("pk")
    assert correct.office_id == "5102" and correct.status == PrivacyRequestStatus.PENDING
    assert timedelta(hours=71, minutes=59) < correct.due_at - correct.created_at <= timedelta(hours=72)

    # Warned a day before the clock runs out, once.
    User.objects.filter(pk=manager_5102.pk).update(email="pj@example.test")
    mail.outbox.clear()
    assert rights.warn_due_requests(timezone.now() + timedelta(hours=49)) == 2
    assert rights.warn_due_requests(timezone.now() + timedelta(hours=50)) == 0
    assert mail.outbox and mail.outbox[0].to == ["pj@example.test"]

    # Another office's officer sees nothing; an officer may not decide; the manager does.
    client.force_login(officer_5101)
    assert client.post(f"/privasi/antrean/{correct.pk}/", {"decision": "approve"}).status_code == 404
    client.force_login(manager_5102)
    refused = client.post(f"/privasi/antrean/{withdraw.pk}/", {"decision": "refuse", "reason": ""})
    assert refused.status_code == 400  # a refusal needs its reason
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reason = {"decision": "refuse", "reason": "Masih ada konsultasi aktif"}
        client.post(f"/privasi/antrean/{withdraw.pk}/", reason)
        client.post(f"/privasi/antrean/{correct.pk}/", {"decision": "approve"})
    correct.refresh_from_db()
    withdraw.refresh_from_db()
    assert (correct.status, withdraw.status) == (PrivacyRequestStatus.APPROVED, PrivacyRequestStatus.REFUSED)
    assert GuestbookEntry.objects.get(visitor=wayan).institution_name == "Universitas Pendidikan Ganesha"
    assert AuditLog.objects.filter(verb="privacy_request.decided").count() == 2
    told = [m.body for m in mail.outbox if m.to == [WAYAN["email"]]]
    assert any("Masih ada konsultasi aktif" in body for body in told) and len(told) == 2
    assert correct.notified_at is not None


def test_approved_erasure_leaves_nothing_in_the_dump_and_the_figures_unchanged(
    client: Client,
    settings: Any,
    officer_5102: User,
    manager_5102: User,
    fake_adapter: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    wayan = _visitor_with_everything(client, settings, officer_5102, WAYAN, 1)
    _visitor_with_everything(client, settings, officer_5102, KOMANG, 2)
    rini = _email_visitor(settings)
    manager_5101 = make_user("pj5101", "5101", Role.MANAGER)
    assert WebhookDelivery.objects.count() == 2 and InboundEmail.objects.exclude(raw=b"").count() == 1
    files = [a.file.path for a in Attachment.objects.filter(filename=WAYAN["file"])]
    before = _figures()
    seal_chains()  # the audit chain is sealed before the erasure redacts rows in it
    dump = _dump()
    for secret in [*WAYAN.values(), RINI["name"], RINI["email"], RINI["text"], *KOMANG.values()]:
        assert secret.lower() in dump, secret  # the search would find them before

    mail.outbox.clear()
    for visitor, manager in ((wayan, manager_5102), (rini, manager_5101)):
        req = rights.request_privacy_action(visitor, kind="delete", by=VisitorActor(visitor.pk))
        with django_capture_on_commit_callbacks(execute=True):
            rights.decide_privacy_request(req, approve=True, by=manager)
    assert sorted(m.to[0] for m in mail.outbox) == [RINI["email"], WAYAN["email"]]  # told, then erased

    dump = _dump()
    for secret in [*WAYAN.values(), "+" + WAYAN["wa_id"], "0" + WAYAN["wa_id"][2:], *RINI.values()]:
        assert secret.lower() not in dump, secret
    for secret in KOMANG.values():
        assert secret.lower() in dump, secret  # the other visitor is untouched
    assert _figures() == before
    assert not any(__import__("os").path.exists(path) for path in files)
    assert AuditLog.objects.filter(verb="visitor.data_erased").count() == 2
    assert Complaint.objects.count() == 2  # the complaints stay for the counts, without their text and contact
    seal_chains()
    assert verify_chain("5102").ok and verify_chain("5101").ok  # redaction keeps the audit chain verifiable


def test_an_approved_withdrawal_withdraws_the_consent_and_tells_the_visitor(
    manager_5102: User, django_capture_on_commit_callbacks: Any
) -> None:
    from pstdesk.guestbook.models import Consent
    from pstdesk.offices.models import Office

    visitor = Visitor.objects.create(name="Made Wirawan", email="made.wirawan@example.test")
    guestbook.fill_guestbook(
        visitor,
        office=Office.objects.get(code="5102"),
        channel="whatsapp",
        data=guestbook_data(name="Made Wirawan", email="made.wirawan@example.test"),
        by=VisitorActor(visitor.pk),
    )
    guestbook.give_consent(
        visitor, notice_version=guestbook.PRIVACY_NOTICE_VERSION, channel="whatsapp", by=VisitorActor(visitor.pk)
    )
    Visitor.objects.filter(pk=visitor.pk).update(email_verified_at=timezone.now())
    visitor.refresh_from_db()
    req = rights.request_privacy_action(visitor, kind="withdraw", by=VisitorActor(visitor.pk))
    assert req.office_id == "5102" and Consent.objects.filter(visitor=visitor, withdrawn_at__isnull=True).exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rights.decide_privacy_request(req, approve=True, by=manager_5102)
    assert not Consent.objects.filter(visitor=visitor, withdrawn_at__isnull=True).exists()
    req.refresh_from_db()
    assert req.status == PrivacyRequestStatus.APPROVED and req.notified_at is not None
    (told,) = [m for m in mail.outbox if m.to == ["made.wirawan@example.test"]]
    assert "Penarikan persetujuan" in told.body and "disetujui" in told.body


def test_a_link_by_whatsapp_reaches_the_visitor_and_never_the_staff(
    client: Client, settings: Any, officer_5102: User, fake_adapter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A visitor known only by their proven WhatsApp number gets the link in their chat while its 24-hour window is
    open; the console, the API, the search and a transcript review show staff that it was sent, never the link.
    Outside the window nothing is sent (a free-text message would fail there)."""
    from pstdesk.channels.whatsapp.outbound import window_closes_at
    from pstdesk.consultations.console.search import search
    from pstdesk.consultations.serializers import message_dict

    # The fake sender stands in for WhatsApp's: it has WhatsApp's 24-hour window too.
    monkeypatch.setattr(fake_adapter, "reply_window_closes_at", lambda self, c: window_closes_at(c), raising=False)
    _webhook(client, settings, KOMANG, 7)
    consultation = Consultation.objects.get(visitor__identities__key=KOMANG["wa_id"])
    # The webhook's wa_id identity proves the number.
    Visitor.objects.filter(pk=consultation.visitor_id).update(whatsapp="+" + KOMANG["wa_id"])
    mail.outbox.clear()
    client.post("/privasi/data/", {"address": "+" + KOMANG["wa_id"]})
    sent = Message.objects.get(consultation=consultation, payload__private_to_visitor=True)
    assert "/privasi/data/" in sent.body and sent.direction == "out" and not mail.outbox
    assert "/privasi/data/" in message_dict(sent, for_staff=False)["body"]  # the visitor's chat carries it
    staff = message_dict(sent, for_staff=True)
    assert "/privasi/data/" not in staff["body"] and staff["payload"] == {}
    client.force_login(officer_5102)
    token = sent.body.split("/privasi/data/")[1].split("/")[0]
    for page in (
        client.get(f"/api/v1/consultations/{consultation.pk}/messages"),
        client.get("/console/search/", {"q": "tautan pribadi"}),
        client.get(f"/console/{consultation.pk}/"),
    ):
        assert page.status_code == 200 and token not in page.content.decode()
    # A transcript review reads the staff text too.
    from pstdesk.supervision.review_views import _transcript

    assert not [m for m in _transcript(consultation) if token in m.staff_text]
    # The search finds the visitor's own words in that chat, never the link's message.
    assert [h.seq for h in search(officer_5102, "Minta data IPM") if h.kind == "message"] == [1]
    assert not [h for h in search(officer_5102, "tautan pribadi") if h.kind == "message"]
    # Outside the window: nothing is posted.
    Consultation.objects.filter(pk=consultation.pk).update(last_inbound_at=timezone.now() - timedelta(hours=25))
    client.logout()
    client.post("/privasi/data/", {"address": "+" + KOMANG["wa_id"]})
    assert Message.objects.filter(consultation=consultation, payload__private_to_visitor=True).count() == 1
