"""A channel defined entirely in this folder plugs in with one registry line: it receives, the officer replies
and the reply flies out, the officer's reading sends a read mark (through the worker), and the visitor rates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from pstdesk.channels import base as channel_base
from pstdesk.channels.tests.pigeon import adapter as pigeon
from pstdesk.consultations.actions import refresh_visitor_requirements
from pstdesk.consultations.models import Consultation, Status
from pstdesk.consultations.tests.conftest import complete_requirements
from pstdesk.lib.actors import VisitorActor
from pstdesk.ratings.models import Rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def pigeon_channel(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(channel_base.REGISTRY, "pigeon", "pstdesk.channels.tests.pigeon.adapter.PigeonAdapter")
    pigeon.LOFT.clear()
    yield
    pigeon.LOFT.clear()


def test_a_channel_in_one_folder_receives_replies_marks_read_and_rates(
    pigeon_channel: None, officer_5102: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        received = pigeon.receive(
            "5102", name="Made", address="made@example.test", text="Minta data IPM Bali 2024", external_id="p-1"
        )
    consultation = received.consultation
    assert consultation.channel == "pigeon" and received.created
    complete_requirements(consultation.visitor, "5102")
    refresh_visitor_requirements(consultation.visitor, "5102", by=VisitorActor(consultation.visitor_id))

    officer = Client()
    officer.force_login(officer_5102)

    def verb(name: str, **data: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            response = officer.post(f"/console/{consultation.pk}/{name}/", data)
        assert response.status_code == 200, response.content
        return response.json()

    assert verb("claim")["state"]["status"] == Status.OPEN
    verb("topic", topic="data", subject="IPM")
    verb("read", up_to=str(received.message.seq))
    assert pigeon.LOFT.read_marks == ["p-1"]  # the adapter's mark_read capability, run by the worker

    state = verb("reply", body="Data IPM ada di tabel berikut.", answer="1")["state"]
    assert state["status"] == Status.ANSWERED
    assert [m.body for m in pigeon.LOFT.flown if m.consultation_id == consultation.pk][-1] == (
        "Data IPM ada di tabel berikut."
    )
    # The console asks the registry, not the channel: no reply window and no templates for pigeons.
    assert state["whatsapp_window_closes_at"] is None

    with django_capture_on_commit_callbacks(execute=True):
        pigeon.receive("5102", name="Made", address="made@example.test", text="/nilai 5", external_id="p-2")
    consultation = Consultation.objects.get(pk=consultation.pk)
    assert consultation.status == Status.RATED
    rating = Rating.objects.get(consultation=consultation)
    assert (rating.score, rating.channel) == (5, "pigeon")
