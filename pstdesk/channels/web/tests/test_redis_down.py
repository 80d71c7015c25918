"""LiveChat with Redis down: a throwaway `redis-server` is started for the test, killed and started again.

While it is down the widget socket stays open and says "reconnecting", the visitor's messages are still stored
and acknowledged, the office's replies still arrive (from the database); the HTTP endpoints answer; `/readyz`
names the parts that are down. When Redis is back the socket says "connected" by itself and live events flow
again; nothing acknowledged is lost."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client

from pstdesk.channels.web.tests.conftest import communicator, new_id
from pstdesk.consultations.models import Consultation, Message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayRedis:
    """`redis-server --port <free port> --save ''` as a subprocess; `kill()` and `start()` again on the same port."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/3"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(5)
            self.process = None


@pytest.fixture
def redis(settings: Any) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [server.url]}}
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}}
    try:
        yield server
    finally:
        # back to in-process backends before the server goes (other fixtures clear the cache at teardown)
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
        server.kill()
        from pstdesk.channels.web import limits

        limits._shared_down_until = 0.0  # the next test counts in its own cache again
        limits._local.clear()


def hello(token: str) -> dict[str, Any]:
    return {"type": "hello", "token": token, "channel": "livechat_website", "consultation": None, "cursor": 0}


async def frames_until(comm: Any, predicate: Any, timeout: float = 15) -> list[dict[str, Any]]:
    """Frames up to and including the first that satisfies `predicate`."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no matching frame within {timeout}s; got {seen}")
        frame = await comm.receive_json_from(timeout=left)
        seen.append(frame)
        if predicate(frame):
            return seen


def _reply(consultation_id: int, officer: Any, body: str) -> None:
    from pstdesk.consultations.actions import post_reply

    post_reply(Consultation.objects.get(pk=consultation_id), by=officer, body=body)


def test_socket_survives_redis_down_and_recovers_by_itself(
    redis: ThrowawayRedis, widget_session: Any, officer_5102: Any
) -> None:
    _session, token = widget_session
    sent_ids = [new_id(), new_id()]

    async def scenario() -> dict[str, Any]:
        comm = communicator()
        connected, _ = await comm.connect()
        assert connected
        await comm.send_json_to(hello(token))
        ready = (await frames_until(comm, lambda f: f["type"] == "ready"))[-1]
        assert ready["reconnecting"] is False
        await comm.send_json_to({"type": "message", "client_id": sent_ids[0], "body": "sebelum Redis mati"})
        await frames_until(comm, lambda f: f["type"] == "ack")
        consultation_id = await sync_to_async(
            lambda: Consultation.objects.get(visitor_id=_session.visitor_id).pk, thread_sensitive=True
        )()

        redis.kill()
        status = (await frames_until(comm, lambda f: f["type"] == "status"))[-1]
        assert status["state"] == "reconnecting" and status["message"]
        # still accepted and acknowledged (stored in the database)
        await comm.send_json_to({"type": "message", "client_id": sent_ids[1], "body": "saat Redis mati"})
        acked = await frames_until(comm, lambda f: f["type"] == "ack")
        assert acked[-1]["client_id"] == sent_ids[1]
        # the officer's reply still reaches the widget (polled from the database)
        await sync_to_async(_reply, thread_sensitive=True)(consultation_id, officer_5102, "balasan saat Redis mati")
        await frames_until(
            comm, lambda f: f["type"] == "message" and f["message"].get("body") == "balasan saat Redis mati"
        )

        redis.start()
        back = await frames_until(comm, lambda f: f["type"] == "status" and f["state"] == "connected")
        assert back[-1]["message"]
        # live again: an event through Redis reaches the socket
        await sync_to_async(_reply, thread_sensitive=True)(consultation_id, officer_5102, "balasan setelah pulih")
        await frames_until(
            comm, lambda f: f["type"] == "message" and f["message"].get("body") == "balasan setelah pulih", timeout=5
        )
        await comm.disconnect()
        return {"consultation": consultation_id}

    result = async_to_sync(scenario)()
    stored = set(
        Message.objects.filter(consultation_id=result["consultation"], direction="in").values_list(
            "external_id", flat=True
        )
    )
    assert set(sent_ids) <= stored  # nothing acknowledged is lost


def test_socket_opened_while_redis_is_down_is_accepted_and_says_reconnecting(
    redis: ThrowawayRedis, widget_session: Any
) -> None:
    _session, token = widget_session
    redis.kill()

    async def scenario() -> list[dict[str, Any]]:
        comm = communicator()
        connected, code = await comm.connect()
        assert connected, code  # not a 500 on the handshake
        await comm.send_json_to(hello(token))
        frames = await frames_until(comm, lambda f: f["type"] == "ready")
        await comm.send_json_to({"type": "message", "client_id": new_id(), "body": "halo"})
        frames += await frames_until(comm, lambda f: f["type"] == "ack")
        redis.start()
        frames += await frames_until(comm, lambda f: f["type"] == "status" and f["state"] == "connected")
        await comm.disconnect()
        return frames

    frames = async_to_sync(scenario)()
    ready = next(f for f in frames if f["type"] == "ready")
    assert ready["reconnecting"] is True or any(f.get("state") == "reconnecting" for f in frames)


def test_http_endpoints_answer_while_redis_is_down(redis: ThrowawayRedis, widget_session: Any) -> None:
    from pstdesk.channels.web import chat

    session, token = widget_session
    consultation = chat.submit_message(
        session, channel="livechat_website", client_id=new_id(), body="halo"
    ).consultation
    redis.kill()
    client = Client()
    headers = {"HTTP_X_WIDGET_TOKEN": token}
    body = {"channel": "livechat_website"}
    answer = client.post("/widget/5102/api/state/", body, content_type="application/json", **headers)
    assert answer.status_code == 200 and answer.json()["step"] == "chat"
    # rate-limited endpoints: the limits are counted in the process while the cache is down, never a 500
    sent = client.post(
        "/widget/5102/api/transcript/", {**body, "consultation": consultation.pk}, content_type="application/json",
        **headers,
    )  # fmt: skip
    assert sent.status_code == 200, sent.content
    again = client.post(
        "/widget/5102/api/transcript/", {**body, "consultation": consultation.pk}, content_type="application/json",
        **headers,
    )  # fmt: skip
    assert again.status_code in {200, 429}
    fresh = client.post("/widget/5102/api/prechat/", {"channel": "livechat_website", "name": "x"})
    assert fresh.status_code == 400  # the form's own answer (the per-IP limit was counted)


def test_readyz_names_the_part_that_is_down(redis: ThrowawayRedis, settings: Any) -> None:
    client = Client()
    up = client.get("/readyz")
    assert up.status_code == 200, up.content
    assert up.json()["components"]["channel_layer"]["status"] == "ok"
    redis.kill()
    down = client.get("/readyz")
    assert down.status_code == 503
    body = down.json()
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["channel_layer"]["status"] == "down"
    assert body["components"]["cache"]["status"] == "down"
    assert set(body["down"]) >= {"channel_layer", "cache"} and "database" not in body["down"]
    assert str(redis.port) not in down.content.decode()  # no address in a public answer
    redis.start()
    deadline = time.monotonic() + 10
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "readyz did not recover"
        time.sleep(0.2)
