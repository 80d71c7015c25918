"""The library for API clients: `GET /api/v1/library` (the caller's offices' publications) and
`POST /api/v1/consultations/{id}/library-send` (a stamped copy to the visitor through the consultation's outbox):
401 without credentials, 404 for another office's consultation, publication or office, 400 for a withdrawn one."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from pstdesk.accounts.actions import create_api_token
from pstdesk.consultations.models import Consultation, Message
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import SystemActor
from pstdesk.library.actions import add_publication, set_publication_active
from pstdesk.library.models import Delivery
from pstdesk.library.tests.conftest import make_pdf, upload

pytestmark = pytest.mark.django_db


def api_client(user: Any) -> Client:
    _token, raw = create_api_token(user, by=SystemActor("test"))
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def send(client: Client, consultation_id: int, publication_id: Any) -> Any:
    return client.post(
        f"/api/v1/consultations/{consultation_id}/library-send",
        data=json.dumps({"publication": publication_id}),
        content_type="application/json",
    )


@pytest.fixture
def publication_5101(office_5101: Any, admin_5101: Any) -> Any:
    return add_publication(
        office_5101, by=admin_5101, title="Jembrana Dalam Angka 2026", year=2026, upload=upload(make_pdf(1))
    )


def test_list_shows_the_offices_active_publications(
    publication_5102: Any, publication_5101: Any, officer_5102: Any, admin_5102: Any, office_5102: Any
) -> None:
    withdrawn = add_publication(office_5102, by=admin_5102, title="Lama", year=2019, upload=upload(make_pdf(1)))
    set_publication_active(withdrawn, by=admin_5102, active=False)
    client = api_client(officer_5102)
    body = client.get("/api/v1/library").json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": publication_5102.pk,
            "office": "5102",
            "title": "Tabanan Dalam Angka 2026",
            "year": 2026,
            "subject": "Umum",
            "pages": 3,
            "size": publication_5102.size,
        }
    ]
    assert client.get("/api/v1/library", {"office": "5102"}).json()["count"] == 1
    assert client.get("/api/v1/library", {"office": "5101"}).status_code == 404
    assert Client().get("/api/v1/library").status_code == 401


def test_send_stamps_a_copy_and_replies_through_the_outbox(
    publication_5102: Any, consultation_5102: Any, officer_5102: Any
) -> None:
    response = send(api_client(officer_5102), consultation_5102.pk, publication_5102.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    delivery = Delivery.objects.get()
    assert body["id"] == delivery.pk and body["consultation"] == consultation_5102.pk and body["attached"]
    reply = Message.objects.get(pk=body["message"])
    assert reply.direction == "out" and "/pustaka/salinan/" in reply.body and reply.delivery_status == "pending"
    copy = delivery.file.open("rb").read()
    assert copy != publication_5102.file.open("rb").read()
    assert all("Ni Luh Ayu Wulandari" in page.extract_text() for page in PdfReader(io.BytesIO(copy)).pages)


def test_send_refusals(
    publication_5102: Any,
    publication_5101: Any,
    consultation_5102: Any,
    officer_5102: Any,
    officer_5101: Any,
    admin_5102: Any,
    office_5101: Any,
) -> None:
    insider = api_client(officer_5102)
    outsider = api_client(officer_5101)
    consultation_5101 = Consultation.objects.create(
        office=office_5101, visitor=Visitor.objects.create(name="Komang"), channel="whatsapp", status="open"
    )
    assert send(Client(), consultation_5102.pk, publication_5102.pk).status_code == 401
    # another office's consultation, publication, or a mix: 404 like a missing one
    assert send(outsider, consultation_5102.pk, publication_5102.pk).status_code == 404
    assert send(outsider, consultation_5101.pk, publication_5102.pk).status_code == 404
    assert send(insider, consultation_5101.pk, publication_5102.pk).status_code == 404
    assert send(insider, consultation_5102.pk, publication_5101.pk).status_code == 404
    assert send(insider, 999999, publication_5102.pk).status_code == 404
    assert send(insider, consultation_5102.pk, 999999).status_code == 404
    assert send(insider, consultation_5102.pk, "x").status_code == 422
    set_publication_active(publication_5102, by=admin_5102, active=False)
    withdrawn = send(insider, consultation_5102.pk, publication_5102.pk)
    assert withdrawn.status_code == 400 and "ditarik" in withdrawn.json()["detail"]
    assert not Delivery.objects.exists()


def test_the_contract_declares_the_errors(db: None) -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert {"200", "401", "404"} <= set(paths["/api/v1/library"]["get"]["responses"])
    sent = paths["/api/v1/consultations/{consultation_id}/library-send"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(sent), sorted(sent)
