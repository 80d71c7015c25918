"""Issue 11: an open console socket stops when its login ends (logout, deactivation, deletion) or its offices
change; other logins of the same person keep theirs. Real sockets through the ASGI application with session
cookies, as a browser has them."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from pstdesk.accounts.models import User
from pstdesk.asgi import application
from pstdesk.consultations.actions import receive_message
from pstdesk.consultations.tests.conftest import make_inbound
from pstdesk.testing.bus import flush_channel_layer
from pstdesk.testing.websocket import WebsocketClient

pytestmark = pytest.mark.django_db(transaction=True)

WORKING_TIME = "2026-03-10 02:00:00+00:00"  # Tuesday 10:00 WITA


@pytest.fixture(autouse=True)
def _in_hours_and_clean_bus() -> Any:
    flush_channel_layer()
    with time_machine.travel(WORKING_TIME, tick=True):
        yield


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def _open(client: Client) -> WebsocketClient:
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    headers = [
        (b"host", b"testserver"),
        (b"origin", b"http://testserver"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]
    ws = WebsocketClient(application, "/ws/console/", headers=headers)
    connected, _code = await ws.connect()
    assert connected
    assert (await ws.receive_json_from())["type"] == "hello"
    return ws


async def _closed(ws: WebsocketClient, timeout: float = 3) -> tuple[int, list[dict[str, Any]]]:
    """The close code, and the frames before it."""
    import json

    frames: list[dict[str, Any]] = []
    while True:
        output = await ws.receive_output(timeout)
        if output["type"] == "websocket.close":
            return output["code"], frames
        frames.append(json.loads(output["text"]))


def test_logout_closes_that_sessions_socket_only(officer_5102: User) -> None:
    first, second = _login(officer_5102), _login(officer_5102)

    async def run() -> None:
        ws_first, ws_second = await _open(first), await _open(second)
        await database_sync_to_async(first.logout)()
        code, frames = await _closed(ws_first)
        assert code == 4401 and frames[-1]["code"] == "session_ended"
        # The other login of the same officer keeps its socket and its events.
        assert await ws_second.receive_nothing(timeout=0.5)
        await database_sync_to_async(receive_message)(make_inbound(body="masih tersambung"))
        frame = await ws_second.receive_json_from()
        assert frame["type"] == "event"
        await ws_second.disconnect()

    async_to_sync(run)()


def test_after_logout_no_message_reaches_the_socket(officer_5102: User) -> None:
    client = _login(officer_5102)

    async def run() -> None:
        ws = await _open(client)
        await database_sync_to_async(client.logout)()
        await _closed(ws)
        await database_sync_to_async(receive_message)(make_inbound(body="rahasia setelah keluar"))
        assert await ws.receive_nothing(timeout=0.5)

    async_to_sync(run)()


def test_deactivation_closes_every_socket_of_the_user(officer_5102: User) -> None:
    first, second = _login(officer_5102), _login(officer_5102)

    def deactivate() -> None:
        user = User.objects.get(pk=officer_5102.pk)
        user.is_active = False
        user.save()

    async def run() -> None:
        ws_first, ws_second = await _open(first), await _open(second)
        await database_sync_to_async(deactivate)()
        assert (await _closed(ws_first))[0] == 4401
        assert (await _closed(ws_second))[0] == 4401

    async_to_sync(run)()


def test_losing_the_office_closes_the_socket(officer_5102: User, officer_5101: User) -> None:
    moved, stays = _login(officer_5102), _login(officer_5101)

    def move() -> None:
        user = User.objects.get(pk=officer_5102.pk)
        user.office_id = "5101"
        user.save(update_fields=["office"])

    async def run() -> None:
        ws_moved, ws_stays = await _open(moved), await _open(stays)
        await database_sync_to_async(move)()
        code, frames = await _closed(ws_moved)
        assert code == 4403 and frames[-1]["code"] == "access_changed"
        assert await ws_stays.receive_nothing(timeout=0.5)
        await ws_stays.disconnect()

    async_to_sync(run)()


def test_a_change_no_signal_announces_is_caught_by_the_periodic_check(officer_5102: User, settings: Any) -> None:
    settings.CONSOLE_SOCKET_RECHECK_SECONDS = 0.2
    client = _login(officer_5102)

    async def run() -> None:
        ws = await _open(client)
        assert await ws.receive_nothing(timeout=0.5)  # the check passes while the login holds
        await database_sync_to_async(User.objects.filter(pk=officer_5102.pk).update)(is_active=False)
        assert (await _closed(ws))[0] == 4401

    async_to_sync(run)()


def test_subscribing_after_the_session_was_deleted_is_refused(officer_5102: User) -> None:
    from django.contrib.sessions.models import Session

    client = _login(officer_5102)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    async def run() -> None:
        ws = await _open(client)
        await database_sync_to_async(Session.objects.filter(session_key=key).delete)()
        await ws.send_json_to({"type": "subscribe", "consultation": 1, "after": 0})
        code, frames = await _closed(ws)
        assert code == 4401 and [f["code"] for f in frames] == ["session_ended"]

    async_to_sync(run)()
