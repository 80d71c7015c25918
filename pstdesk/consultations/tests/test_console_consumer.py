"""The console's socket (ws/console/): who may connect, office isolation of subscriptions and events, replay
from a cursor, typing. Driven through the real ASGI application with a session cookie, like a browser."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from pstdesk.asgi import application
from pstdesk.consultations.actions import add_note, receive_message
from pstdesk.consultations.models import Message
from pstdesk.consultations.tests.conftest import make_inbound
from pstdesk.testing.bus import flush_channel_layer
from pstdesk.testing.websocket import WebsocketClient as WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)

WORKING_TIME = "2026-03-10 02:00:00+00:00"  # Tuesday 10:00 WITA


@pytest.fixture(autouse=True)
def _in_hours_and_clean_bus():
    flush_channel_layer()
    with time_machine.travel(WORKING_TIME, tick=True):
        yield


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def communicator(user: Any = None, origin: str = "http://testserver") -> WebsocketCommunicator:
    headers = [(b"host", b"testserver")]
    if origin:
        headers.append((b"origin", origin.encode()))
    if user is not None:
        cookie = await database_sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/console/", headers=headers)


async def connect(user: Any) -> WebsocketCommunicator:
    ws = await communicator(user)
    connected, _ = await ws.connect()
    assert connected
    hello = await ws.receive_json_from()
    assert hello["type"] == "hello"
    return ws


async def events_until(ws: WebsocketCommunicator, predicate: Any, limit: int = 20) -> list[dict[str, Any]]:
    seen = []
    for _ in range(limit):
        frame = await ws.receive_json_from(timeout=2)
        seen.append(frame)
        if predicate(frame):
            return seen
    raise AssertionError(f"no matching frame in {seen}")


receive = database_sync_to_async(receive_message)


def test_anonymous_is_refused(db):
    async def run() -> None:
        connected, _ = await (await communicator(None)).connect()
        assert not connected

    async_to_sync(run)()


def test_foreign_origin_is_refused(officer_5102):
    async def run() -> None:
        for origin in ("https://evil.example", ""):
            connected, _ = await (await communicator(officer_5102, origin=origin)).connect()
            assert not connected, origin

    async_to_sync(run)()


def test_new_consultation_and_message_arrive_live(officer_5102):
    async def run() -> None:
        ws = await connect(officer_5102)
        received = await receive(make_inbound(body="Halo PST"))
        frames = await events_until(ws, lambda f: f["type"] == "event" and f["event"]["type"] == "message.created")
        types = [f["event"]["type"] for f in frames if f["type"] == "event"]
        assert "consultation.created" in types
        message = frames[-1]["event"]["message"]
        assert message["body"] == "Halo PST" and message["consultation"] == received.consultation.pk
        await ws.disconnect()

    async_to_sync(run)()


def test_outsider_subscription_is_not_found_and_gets_no_events(officer_5101):
    async def run() -> None:
        received = await receive(make_inbound(office="5102", body="rahasia Tabanan"))
        pk = received.consultation.pk
        ws = await connect(officer_5101)
        await ws.send_json_to({"type": "subscribe", "consultation": pk, "after": 0})
        refused = await ws.receive_json_from()
        await ws.send_json_to({"type": "subscribe", "consultation": 987654, "after": 0})
        missing = await ws.receive_json_from()
        assert refused["type"] == missing["type"] == "error"
        assert refused["code"] == missing["code"] == "not_found"
        assert refused["message"] == missing["message"]
        # typing into it is refused the same way, and nothing of 5102 reaches this socket
        await ws.send_json_to({"type": "typing", "consultation": pk})
        assert (await ws.receive_json_from())["code"] == "not_found"
        await receive(make_inbound(office="5102", body="pesan kedua", sender_wa_id="6281234567890"))
        assert await ws.receive_nothing(timeout=0.5)
        await ws.disconnect()

    async_to_sync(run)()


def test_replay_after_cursor_returns_exactly_the_missing_messages(officer_5102):
    async def run() -> None:
        first = await receive(make_inbound(body="m1"))
        pk = first.consultation.pk
        for n in range(2, 6):
            await receive(make_inbound(body=f"m{n}"))
        seqs = await database_sync_to_async(
            lambda: list(Message.objects.filter(consultation_id=pk).order_by("seq").values_list("seq", flat=True))
        )()
        assert len(seqs) >= 5
        ws = await connect(officer_5102)
        await ws.send_json_to({"type": "subscribe", "consultation": pk, "after": 2})
        frame = await ws.receive_json_from()
        assert frame["type"] == "replay" and frame["done"]
        assert [m["seq"] for m in frame["messages"]] == [s for s in seqs if s > 2]
        assert frame["state"]["id"] == pk
        # a cursor at the end replays nothing
        await ws.send_json_to({"type": "subscribe", "consultation": pk, "after": seqs[-1]})
        assert (await ws.receive_json_from())["messages"] == []
        await ws.disconnect()

    async_to_sync(run)()


def test_bad_frames_get_a_clear_error(officer_5102):
    async def run() -> None:
        ws = await connect(officer_5102)
        await ws.send_json_to({"type": "explode"})
        assert (await ws.receive_json_from())["code"] == "bad_request"
        await ws.send_json_to({"type": "subscribe", "consultation": "abc"})
        assert (await ws.receive_json_from())["code"] == "not_found"
        await ws.send_json_to({"type": "ping"})
        assert (await ws.receive_json_from())["type"] == "pong"
        await ws.disconnect()

    async_to_sync(run)()


def test_typing_reaches_the_other_subscriber_without_a_db_write(officer_5102, officer2_5102):
    async def run() -> None:
        received = await receive(make_inbound(body="halo"))
        pk = received.consultation.pk
        count = await database_sync_to_async(Message.objects.count)()
        a = await connect(officer_5102)
        b = await connect(officer2_5102)
        for ws in (a, b):
            await ws.send_json_to({"type": "subscribe", "consultation": pk, "after": 0})
            assert (await ws.receive_json_from())["type"] == "replay"
        await a.send_json_to({"type": "typing", "consultation": pk})
        frame = await b.receive_json_from()
        assert frame["event"]["type"] == "typing" and frame["event"]["user"]["id"] == officer_5102.pk
        assert await database_sync_to_async(Message.objects.count)() == count
        await a.disconnect()
        await b.disconnect()

    async_to_sync(run)()


def test_a_note_arrives_once_in_its_staff_view(officer_5102):
    async def run() -> None:
        received = await receive(make_inbound(body="halo"))
        pk = received.consultation.pk
        ws = await connect(officer_5102)
        await ws.send_json_to({"type": "subscribe", "consultation": pk, "after": 99})
        await ws.receive_json_from()
        consultation = received.consultation
        await database_sync_to_async(add_note)(consultation, by=officer_5102, body="catatan")
        frames = await events_until(ws, lambda f: f["type"] == "event" and f["event"]["type"] == "message.created")
        assert frames[-1]["event"]["message"]["kind"] == "note"
        assert frames[-1]["event"]["message"]["delivery_error"] == ""
        # the public copy (consultation group) is not forwarded: no second message.created
        rest = []
        while not await ws.receive_nothing(timeout=0.3):
            rest.append(await ws.receive_json_from())
        assert not [f for f in rest if f.get("event", {}).get("type") == "message.created"]
        await ws.disconnect()

    async_to_sync(run)()
