"""POST /api/v1/consultations/{id}/ask-clarification with an officer's API token: the question reaches the
visitor's outbox, the SLA clock waits for the answer, refusals are JSON with their status codes, another office's
consultation is 404, and the OpenAPI document declares the errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from pstdesk.accounts.actions import create_api_token
from pstdesk.audit.models import AuditLog
from pstdesk.consultations.actions import receive_message
from pstdesk.consultations.models import Consultation, Message
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.guestbook.actions import identify_visitor
from pstdesk.lib.actors import ChannelActor, SystemActor

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db


def wita(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WITA)


def token_client(user: Any) -> Client:
    _row, raw = create_api_token(user, by=SystemActor("test"))
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def consultation(office_5102: Any) -> Consultation:
    visitor = complete_requirements(
        identify_visitor(name="Putu", email="putu@example.test", by=ChannelActor("test")), "5102"
    )
    with time_machine.travel(wita(23, 10), tick=False):  # Monday 10:00 WITA
        received = receive_message(make_inbound(visitor_id=visitor.pk, body="Saya butuh data kemiskinan"))
    return Consultation.objects.get(pk=received.consultation.pk)


def ask(client: Client, pk: int, body: Any) -> Any:
    return client.post(f"/api/v1/consultations/{pk}/ask-clarification", {"body": body}, content_type="application/json")


def test_officer_asks_through_the_api_and_the_clock_waits(consultation: Consultation, officer_5102: Any) -> None:
    client = token_client(officer_5102)
    assert consultation.sla_started_at == wita(23, 10)
    with time_machine.travel(wita(23, 10, 20), tick=False):
        response = ask(client, consultation.pk, "Data kemiskinan tingkat apa, untuk tahun berapa?")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["message"]["body"] == "Data kemiskinan tingkat apa, untuk tahun berapa?"
    assert data["message"]["direction"] == "out"
    assert data["consultation"]["clarification_asked_at"] is not None
    assert data["consultation"]["due_at"] is None  # the clock waits for the visitor's answer
    consultation.refresh_from_db()
    assert consultation.clarification_asked_at == wita(23, 10, 20) and consultation.sla_started_at is None
    question = Message.objects.get(pk=data["message"]["id"])
    assert question.payload == {"clarification": True} and question.author_id == officer_5102.pk
    audit = AuditLog.objects.get(verb="consultation.clarification_asked", subject_id=str(consultation.pk))
    assert audit.actor_id == officer_5102.pk


def test_refusals_answer_json_with_their_status(consultation: Consultation, officer_5102: Any) -> None:
    client = token_client(officer_5102)
    with time_machine.travel(wita(23, 10, 5), tick=False):
        empty = ask(client, consultation.pk, "   ")
        assert empty.status_code == 400 and empty.json()["detail"]
        missing_body = client.post(
            f"/api/v1/consultations/{consultation.pk}/ask-clarification", {}, content_type="application/json"
        )
        assert missing_body.status_code == 422
        assert ask(client, consultation.pk, "Tahun berapa?").status_code == 201
        twice = ask(client, consultation.pk, "Tingkat apa?")
    assert twice.status_code == 409 and "sudah pernah" in twice.json()["detail"]
    assert Message.objects.filter(consultation=consultation, payload__clarification=True).count() == 1


def test_too_late_is_403_and_changes_nothing(consultation: Consultation, officer_5102: Any) -> None:
    client = token_client(officer_5102)
    with time_machine.travel(wita(25, 9), tick=False):  # long past the first-response target
        response = ask(client, consultation.pk, "Tahun berapa?")
    assert response.status_code == 403 and "respons pertama" in response.json()["detail"]
    consultation.refresh_from_db()
    assert consultation.clarification_asked_at is None and consultation.due_at is not None
    assert not Message.objects.filter(consultation=consultation, payload__clarification=True).exists()


def test_another_offices_officer_gets_404_like_a_missing_one(consultation: Consultation, officer_5101: Any) -> None:
    client = token_client(officer_5101)
    with time_machine.travel(wita(23, 10, 5), tick=False):
        other = ask(client, consultation.pk, "Tahun berapa?")
        missing = ask(client, 999999, "Tahun berapa?")
    assert other.status_code == missing.status_code == 404
    assert Consultation.objects.get(pk=consultation.pk).clarification_asked_at is None
    assert (
        Client()
        .post(
            f"/api/v1/consultations/{consultation.pk}/ask-clarification", {"body": "x"}, content_type="application/json"
        )
        .status_code
        == 401
    )


def test_openapi_declares_the_body_and_the_errors(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/consultations/{consultation_id}/ask-clarification"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "403", "404", "409", "422"}
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    assert schema["required"] == ["body"]
