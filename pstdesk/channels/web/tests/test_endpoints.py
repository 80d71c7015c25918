"""The chat's JSON endpoints: pre-chat (guestbook + consent), e-mail verification, the offline form, uploads,
rating, transcript, forgetting the session; and the widget session actions (hash, audit rows, revocation)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from pstdesk.audit.models import AuditLog
from pstdesk.channels.web.actions import find_widget_session, open_widget_session, revoke_widget_session
from pstdesk.channels.web.models import WidgetSession, hash_token
from pstdesk.consultations.models import Consultation, Message, Status
from pstdesk.guestbook.models import GuestbookEntry, Visitor
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db

GUESTBOOK = {
    "name": "Putu Ayu",
    "email": "putu@example.test",
    "whatsapp": "0812-3456-7890",
    "sex": "2",
    "age_group": "2",
    "education": "3",
    "occupation": "1",
    "institution_category": "6",
    "institution_name": "Universitas Udayana",
    "purpose": "1",
    "disability": "2",
    "consent": "on",
    "channel": "livechat_website",
}
SATURDAY = "2026-03-14 02:00:00+00:00"  # Saturday 10:00 WITA: Tabanan is closed


def post(client: Client, office: str, path: str, data: Any = None, *, token: str = "", json: bool = False) -> Any:
    headers = {"HTTP_X_WIDGET_TOKEN": token} if token else {}
    url = f"/widget/{office}/api/{path}"
    if json:
        return client.post(url, data or {}, content_type="application/json", **headers)
    return client.post(url, data or {}, **headers)


def prechat(client: Client, **changes: Any) -> Any:
    return post(client, "5102", "prechat/", {**GUESTBOOK, **changes})


def test_session_token_is_stored_hashed_and_audited(office_5102: Office) -> None:
    visitor = Visitor.objects.create(name="Putu")
    session, token = open_widget_session(office_5102, visitor, by=VisitorActor(visitor.pk))
    assert len(token) >= 40 and session.token_hash == hash_token(token) and token not in session.token_hash
    assert AuditLog.objects.filter(verb="widget_session.opened", subject_id=str(session.pk)).count() == 1
    assert find_widget_session(token, "5102") == session
    assert find_widget_session(token, "5101") is None  # bound to one office
    revoke_widget_session(session, by=VisitorActor(1))
    revoke_widget_session(session, by=VisitorActor(1))  # idempotent
    assert find_widget_session(token, "5102") is None
    assert AuditLog.objects.filter(verb="widget_session.revoked", subject_id=str(session.pk)).count() == 1


def test_expired_session_is_refused(office_5102: Office) -> None:
    visitor = Visitor.objects.create(name="Putu")
    _session, token = open_widget_session(office_5102, visitor, by=SystemActor("test"))
    with time_machine.travel("2099-01-01 00:00:00+00:00"):
        assert find_widget_session(token, "5102") is None


def test_state_without_token_asks_for_the_guestbook(client: Client) -> None:
    answer = post(client, "5102", "state/", {"channel": "livechat_pfa"}, json=True).json()
    assert answer["ok"] and answer["step"] == "prechat" and answer["office"]["code"] == "5102"


def test_unknown_channel_is_refused(client: Client) -> None:
    response = post(client, "5102", "state/", {"channel": "whatsapp"}, json=True)
    assert response.status_code == 400


def test_prechat_creates_visitor_guestbook_consent_and_session(client: Client) -> None:
    response = prechat(client)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["step"] == "verify" and answer["token"]
    session = WidgetSession.objects.get()
    visitor = session.visitor
    assert visitor.name == "Putu Ayu" and visitor.email == "putu@example.test" and visitor.whatsapp == "+6281234567890"
    entry = GuestbookEntry.objects.get(visitor=visitor)
    assert entry.office_id == "5102" and entry.channel == "livechat_website"
    assert visitor.consents.count() == 1
    assert AuditLog.objects.filter(verb="guestbook.filled").count() == 1


def test_prechat_with_errors_changes_nothing(client: Client) -> None:
    response = prechat(client, consent="", institution_name="", email="bukan-email")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"consent", "institution_name", "email"} <= set(errors)
    assert Visitor.objects.count() == 0 and WidgetSession.objects.count() == 0


def test_email_verification_by_code_opens_the_chat(client: Client) -> None:
    token = prechat(client).json()["token"]
    sent = post(client, "5102", "verify/start/", {"email": "putu@example.test"}, token=token, json=True)
    assert sent.status_code == 200
    code = re.search(r"\b(\d{8})\b", mail.outbox[-1].body).group(1)
    bad = "00000000" if code != "00000000" else "11111111"
    wrong = post(client, "5102", "verify/", {"code": bad}, token=token, json=True)
    assert wrong.status_code == 400 and "code" in wrong.json()["errors"]
    answer = post(client, "5102", "verify/", {"code": code, "channel": "livechat_website"}, token=token, json=True)
    assert answer.status_code == 200 and answer.json()["step"] == "chat"
    assert Visitor.objects.get().email_verified_at is not None


def test_returning_visitor_is_recognised_by_token(client: Client) -> None:
    token = prechat(client).json()["token"]
    answer = post(client, "5102", "state/", {"channel": "livechat_website"}, token=token, json=True).json()
    assert answer["visitor"]["name"] == "Putu Ayu" and answer["step"] == "verify"
    # filling the guestbook again with the token updates the same identity, no second visitor or session
    again = post(client, "5102", "prechat/", {**GUESTBOOK, "institution_name": "BPS"}, token=token)
    assert again.status_code == 200 and "token" not in again.json()
    assert Visitor.objects.count() == 1 and WidgetSession.objects.count() == 1


def test_endpoints_refuse_a_token_of_another_office(client: Client) -> None:
    token = prechat(client).json()["token"]
    _give_jembrana_livechat()
    response = post(client, "5101", "verify/start/", {"email": "putu@example.test"}, token=token, json=True)
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_forget_revokes_the_session(client: Client) -> None:
    token = prechat(client).json()["token"]
    assert post(client, "5102", "forget/", token=token, json=True).status_code == 200
    assert post(client, "5102", "verify/start/", {}, token=token, json=True).status_code == 401


def test_offline_form_creates_consultation_and_says_when_it_is_served(client: Client) -> None:
    with time_machine.travel(SATURDAY, tick=True):
        state = post(client, "5102", "state/", {"channel": "livechat_pfa"}, json=True).json()
        assert state["open"] is False and state["next_opening"].startswith("2026-03-16T08:00:00")
        data = {
            "name": "Wayan",
            "email": "wayan@example.test",
            "message": "Minta data PDRB 2023",
            "consent": "on",
            "channel": "livechat_pfa",
            "client_id": str(uuid.uuid4()),
        }
        response = post(client, "5102", "offline/", data)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["token"] and "08.00 WITA" in answer["next_opening_text"] and "16" in answer["next_opening_text"]
    consultation = Consultation.objects.get()
    assert consultation.channel == "livechat_pfa" and consultation.visitor.email == "wayan@example.test"
    assert consultation.messages.filter(direction="in").get().body == "Minta data PDRB 2023"
    # a resend of the same form (same client id) stores nothing twice
    with time_machine.travel(SATURDAY, tick=True):
        post(client, "5102", "offline/", data, token=answer["token"])
    assert Message.objects.filter(direction="in").count() == 1


def test_offline_form_requires_its_fields(client: Client) -> None:
    response = post(client, "5102", "offline/", {"channel": "livechat_pfa"})
    assert response.status_code == 400
    assert {"name", "email", "message", "consent"} <= set(response.json()["errors"])
    assert Consultation.objects.count() == 0


def test_rate_limit_on_new_sessions_per_address(client: Client, settings: Any) -> None:
    settings.WIDGET_SESSIONS_PER_MINUTE_PER_IP = 1
    assert prechat(client).status_code == 200
    response = prechat(client, email="lain@example.test")
    assert response.status_code == 429 and WidgetSession.objects.count() == 1


def _chatting(client: Client, visitor: Visitor) -> tuple[str, Consultation]:
    from pstdesk.channels.web import chat

    session, token = open_widget_session(Office.objects.get(code="5102"), visitor, by=SystemActor("test"))
    sent = chat.submit_message(session, channel="livechat_website", client_id=str(uuid.uuid4()), body="halo")
    return token, sent.consultation


def test_upload_is_validated_by_the_core_and_idempotent(client: Client, visitor: Visitor) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    token, consultation = _chatting(client, visitor)
    client_id = str(uuid.uuid4())
    pdf = SimpleUploadedFile("tabel.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    ok = client.post(
        "/widget/5102/api/upload/",
        {"file": pdf, "client_id": client_id, "channel": "livechat_website"},
        HTTP_X_WIDGET_TOKEN=token,
    )
    assert ok.status_code == 200, ok.content
    message = Message.objects.get(external_id=client_id)
    assert message.attachments.get().filename == "tabel.pdf"
    fake = SimpleUploadedFile("virus.pdf", b"MZ not a pdf", content_type="application/pdf")
    refused = client.post(
        "/widget/5102/api/upload/",
        {"file": fake, "client_id": str(uuid.uuid4()), "channel": "livechat_website"},
        HTTP_X_WIDGET_TOKEN=token,
    )
    assert refused.status_code == 400 and "virus.pdf" in refused.json()["error"]
    assert Message.objects.filter(consultation=consultation, direction="in").count() == 2


def test_visitor_downloads_only_own_attachments(client: Client, visitor: Visitor, officer_5102: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pstdesk.channels.web import chat
    from pstdesk.consultations.actions import post_reply

    token, consultation = _chatting(client, visitor)
    reply = post_reply(
        consultation,
        by=officer_5102,
        body="berkasnya",
        attachments=[SimpleUploadedFile("hasil.csv", b"a,b\n1,2\n", content_type="text/csv")],
    )
    session = find_widget_session(token, "5102")
    data = chat.visitor_message(reply, session)
    url = data["attachments"][0]["url"]
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"a,b\n1,2\n"
    assert client.get(url.replace("/5102/", "/5101/")).status_code == 404
    assert client.get(url[:-5] + "xxxx/").status_code == 404
    revoke_widget_session(session, by=SystemActor("test"))
    assert client.get(url).status_code == 404


def test_rating_at_the_office_step_then_transcript(client: Client, visitor: Visitor, officer_5102: Any) -> None:
    from pstdesk.consultations.actions import (
        close_consultation,
        mark_answered,
        mark_request_clear,
        post_reply,
        request_rating,
    )

    token, consultation = _chatting(client, visitor)
    body = {
        "consultation": consultation.pk,
        "score": 5,
        "feedback": "Bagus",
        "gratuity": "no",
        "illegal_fee": "no",
        "channel": "livechat_website",
    }
    consultation.refresh_from_db()
    mark_request_clear(consultation, by=officer_5102)
    post_reply(consultation, by=officer_5102, body="<b>jawaban</b>")
    mark_answered(consultation, by=officer_5102)
    request_rating(consultation, by=officer_5102)
    state = post(client, "5102", "state/", {"channel": "livechat_website"}, token=token, json=True).json()
    assert state["consultation"]["rating_due"] is True
    incomplete = post(client, "5102", "rate/", {**body, "score": 9, "gratuity": ""}, token=token, json=True)
    assert incomplete.status_code == 400 and {"score", "gratuity"} <= set(incomplete.json()["errors"])
    rated = post(client, "5102", "rate/", body, token=token, json=True)
    assert rated.status_code == 200 and rated.json()["consultation"]["status"] == Status.RATED
    again = post(client, "5102", "rate/", body, token=token, json=True)
    assert again.status_code == 409
    close_consultation(consultation, by=officer_5102)
    mail.outbox.clear()
    sent = post(client, "5102", "transcript/", {"consultation": consultation.pk}, token=token, json=True)
    assert sent.status_code == 200
    assert mail.outbox[-1].to == [visitor.email] and "<b>jawaban</b>" in mail.outbox[-1].body


def test_transcript_needs_a_verified_address_and_own_consultation(client: Client, visitor: Visitor) -> None:
    token, consultation = _chatting(client, visitor)
    other = Consultation.objects.create(
        office_id="5102", visitor=Visitor.objects.create(name="x"), channel="livechat_website"
    )
    assert post(client, "5102", "transcript/", {"consultation": other.pk}, token=token, json=True).status_code == 404
    Visitor.objects.filter(pk=visitor.pk).update(email_verified_at=None)
    refused = post(client, "5102", "transcript/", {"consultation": consultation.pk}, token=token, json=True)
    assert refused.status_code == 409


def test_web_adapter_is_registered_for_both_livechat_channels() -> None:
    from pstdesk.channels.base import OutboundMessage, get_adapter

    for channel in ("livechat_website", "livechat_pfa"):
        ref = get_adapter(channel).send(OutboundMessage(7, 1, "5102", channel, "x", {}))
        assert ref.external_id == "web:7"


def _give_jembrana_livechat() -> None:
    # Jembrana's standard offers no LiveChat (issue 12); these tests need a second office that does.
    from pstdesk.offices.actions import revise_standard
    from pstdesk.offices.models import Office

    office = Office.objects.get(code="5101")
    channels = ["whatsapp", "email", "livechat_website"]
    revise_standard(office, by=SystemActor("test"), changes={"channels": channels}, note="test")
