"""Issue 11: an open widget socket stops speaking for an identity that ended or changed: "not you?" (the session
revoked), the visitor merged into another (the socket closes with 4409 and the same token then resumes as the
surviving identity), the visitor erased; a periodic check catches what the bus lost."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client

from pstdesk.channels.web.actions import revoke_widget_session
from pstdesk.channels.web.models import WidgetSession
from pstdesk.channels.web.tests.conftest import communicator, complete_visitor, new_id, receive_until
from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.actions import erase_visitor, merge_visitors
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.testing.websocket import WebsocketClient

pytestmark = pytest.mark.django_db(transaction=True)


def hello(token: str, consultation: int | None = None) -> dict[str, Any]:
    return {"type": "hello", "token": token, "channel": "livechat_website", "consultation": consultation, "cursor": 0}


async def _ready(token: str) -> tuple[WebsocketClient, dict[str, Any]]:
    ws = communicator()
    connected, _code = await ws.connect()
    assert connected
    await ws.send_json_to(hello(token))
    frames = await receive_until(ws, "ready")
    return ws, frames[-1]


async def _closed(ws: WebsocketClient, timeout: float = 3) -> tuple[int, list[dict[str, Any]]]:
    frames: list[dict[str, Any]] = []
    while True:
        output = await ws.receive_output(timeout)
        if output["type"] == "websocket.close":
            return output["code"], frames
        frames.append(json.loads(output["text"]))


def test_not_you_closes_the_open_socket(client: Client, widget_session: tuple[WidgetSession, str]) -> None:
    _session, token = widget_session

    async def run() -> None:
        ws, _ready_frame = await _ready(token)
        answer = await database_sync_to_async(client.post)(
            "/widget/5102/api/forget/", HTTP_X_WIDGET_TOKEN=token, HTTP_ORIGIN="http://testserver"
        )
        assert answer.status_code == 200, answer.content
        code, frames = await _closed(ws)
        assert code == 4401 and frames[-1]["code"] == "unauthorized"

    async_to_sync(run)()


def test_merge_closes_the_socket_and_the_token_resumes_as_the_survivor(
    widget_session: tuple[WidgetSession, str],
) -> None:
    session, token = widget_session
    survivor = complete_visitor(email="lama@example.test")
    kept = Consultation.objects.create(office_id="5102", visitor=survivor, channel="livechat_website")

    async def run() -> None:
        ws, ready = await _ready(token)
        assert ready["consultation"] is None
        await database_sync_to_async(merge_visitors)(session.visitor, survivor, reason="manual", by=SystemActor(""))
        code, frames = await _closed(ws)
        assert code == 4409 and frames[-1]["code"] == "identity_changed"
        # Nothing of the survivor's conversation went down the old socket; a new hello resumes as the survivor.
        assert all(frame.get("type") != "message" for frame in frames)
        again, ready = await _ready(token)
        assert ready["consultation"]["id"] == kept.pk
        await again.disconnect()

    async_to_sync(run)()


def test_a_merge_of_someone_else_leaves_the_socket_open(widget_session: tuple[WidgetSession, str]) -> None:
    _session, token = widget_session
    one, two = Visitor.objects.create(name="A"), Visitor.objects.create(name="B")

    async def run() -> None:
        ws, _ready_frame = await _ready(token)
        await database_sync_to_async(merge_visitors)(one, two, reason="manual", by=SystemActor(""))
        assert await ws.receive_nothing(timeout=0.5)
        await ws.send_json_to({"type": "message", "client_id": new_id(), "body": "masih di sini"})
        assert (await receive_until(ws, "ack"))[-1]["type"] == "ack"
        await ws.disconnect()

    async_to_sync(run)()


def test_erasure_closes_the_socket(widget_session: tuple[WidgetSession, str]) -> None:
    session, token = widget_session

    async def run() -> None:
        ws, _ready_frame = await _ready(token)
        await database_sync_to_async(erase_visitor)(session.visitor, by=VisitorActor(session.visitor_id))
        assert (await _closed(ws))[0] == 4401

    async_to_sync(run)()


def test_a_lost_event_is_caught_by_the_periodic_check(widget_session: tuple[WidgetSession, str], settings: Any) -> None:
    settings.WIDGET_SOCKET_RECHECK_SECONDS = 0.2
    session, token = widget_session

    async def run() -> None:
        ws, _ready_frame = await _ready(token)
        assert await ws.receive_nothing(timeout=0.5)  # the check passes while the session holds
        # Revoked without the action (so without its event), as a lost bus message would leave it.
        from django.utils import timezone

        await database_sync_to_async(WidgetSession.objects.filter(pk=session.pk).update)(revoked_at=timezone.now())
        assert (await _closed(ws))[0] == 4401

    async_to_sync(run)()


def test_revoke_action_closes_only_that_sessions_socket(widget_session: tuple[WidgetSession, str]) -> None:
    from pstdesk.channels.web.actions import open_widget_session

    session, token = widget_session
    _other, other_token = open_widget_session(session.office, session.visitor, by=VisitorActor(session.visitor_id))

    async def run() -> None:
        ws, _r = await _ready(token)
        other, _r2 = await _ready(other_token)
        await database_sync_to_async(revoke_widget_session)(session, by=VisitorActor(session.visitor_id))
        assert (await _closed(ws))[0] == 4401
        assert await other.receive_nothing(timeout=0.5)
        await other.disconnect()

    async_to_sync(run)()
