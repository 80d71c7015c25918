"""Scale-out on PostgreSQL and Redis: two web processes and a task worker, a visitor on one process and an officer
on the other; killing the visitor's process mid-conversation loses and duplicates nothing once the visitor
reconnects from its cursor and resends what was not acknowledged (the same client ids).

Collected only when DATABASE_URL and REDIS_URL are set and answer (see conftest.py). The test builds its own
database (`pstdesk_multiprocess`) and uses its own Redis database number, so it never touches the test database
of the rest of the suite. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

pytestmark = pytest.mark.multiprocess

DATABASE = "pstdesk_multiprocess"
STARTUP_SECONDS = 60
FRAME_SECONDS = 15

SETUP = """
import json, uuid
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from pstdesk.accounts.models import Role, User
from pstdesk.channels.web import chat
from pstdesk.channels.web.actions import open_widget_session
from pstdesk.guestbook.actions import identify_visitor
from pstdesk.lib.actors import ChannelActor, VisitorActor
from pstdesk.offices.models import Office

office = Office.objects.get(code="5102")
officer = User(username="mp-officer", office=office, role=Role.OFFICER, on_duty=True)
officer.set_unusable_password()
officer.save()
store = SessionStore()
store[SESSION_KEY] = str(officer.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = officer.get_session_auth_hash()
store.create()
visitor = identify_visitor(name="Ni Luh Multiproses", email="mp@demo.invalid", by=ChannelActor("test"))
session, token = open_widget_session(office, visitor, by=VisitorActor(visitor.pk))
sent = chat.submit_message(session, channel="livechat_website", client_id=uuid.uuid4(), body="Halo, mohon data.")
print(json.dumps({"token": token, "consultation": sent.consultation.pk,
                  "cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}"}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _own_redis_url() -> str:
    """A Redis database number of its own (2, or 3 when the suite itself uses 2), emptied first."""
    base = os.environ["REDIS_URL"]
    used = urlsplit(base).path.strip("/") or "0"
    url = _with_path(base, "/3" if used == "2" else "/2")
    redis.Redis.from_url(url, socket_timeout=5).flushdb()
    return url


def _fresh_database() -> str:
    url = _with_path(os.environ["DATABASE_URL"], f"/{DATABASE}")
    with psycopg.connect(_with_path(url, "/postgres"), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return url


class Processes:
    """The deployment's processes, each with its log file; everything is killed at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def run(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "pstdesk.cli", *args], env=self.env, capture_output=True, timeout=timeout
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        return done.stdout.decode()

    def start(self, name: str, *args: str) -> None:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", "pstdesk.cli", *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def serve(self, name: str, port: int) -> None:
        self.start(name, "serve", "--port", str(port), "--no-tasks")
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.running[name].poll() is None, f"{name} exited:\n{self.log(name)}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{name} not ready within {STARTUP_SECONDS} s:\n{self.log(name)}")

    def kill(self, name: str) -> None:
        proc = self.running.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop_all(self) -> None:
        for proc in self.running.values():
            proc.terminate()
        for proc in self.running.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.running.clear()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[Processes, str]]:
    db_url = _fresh_database()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "DEMO"))},
        "DJANGO_SETTINGS_MODULE": "pstdesk.settings",
        "DATABASE_URL": db_url,
        "REDIS_URL": _own_redis_url(),
        "HUEY_NAME": "pstdesk-multiprocess",
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "TASKS_IMMEDIATE": "false",
        "LOG_LEVEL": "WARNING",
    }
    processes = Processes(env, tmp_path)
    try:
        processes.run("migrate", "--noinput")
        yield processes, db_url
    finally:
        processes.stop_all()
        with psycopg.connect(_with_path(db_url, "/postgres"), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


# --- the two clients ----------------------------------------------------------------------------------------------


class Visitor:
    """The widget's side: messages kept by seq, what the server acknowledged, what is still unacknowledged."""

    def __init__(self, port: int, office: str, token: str, consultation: int) -> None:
        self.port, self.office, self.token, self.consultation = port, office, token, consultation
        self.ws: ClientConnection | None = None
        self.frames: list[dict[str, Any]] = []  # every "message" frame, in arrival order
        self.acked: dict[str, int] = {}  # client id -> seq
        self.sent: dict[str, str] = {}  # client id -> body, every message ever sent

    @property
    def cursor(self) -> int:
        return max((int(f["seq"]) for f in self.frames), default=0)

    async def connect(self) -> None:
        origin = Origin(f"http://127.0.0.1:{self.port}")
        self.ws = await connect(
            f"ws://127.0.0.1:{self.port}/ws/widget/{self.office}/", origin=origin, compression=None, open_timeout=10
        )
        hello = {
            "type": "hello",
            "token": self.token,
            "channel": "livechat_website",
            "consultation": self.consultation,
            "cursor": self.cursor,
        }
        await self.ws.send(json.dumps(hello))
        await self.until(lambda f: f["type"] == "ready")

    async def frame(self) -> dict[str, Any]:
        assert self.ws is not None
        async with asyncio.timeout(FRAME_SECONDS):
            frame: dict[str, Any] = json.loads(await self.ws.recv())
        assert frame["type"] != "error", frame
        if frame["type"] == "message":
            self.frames.append(frame["message"])
        elif frame["type"] == "ack":
            self.acked[frame["client_id"]] = int(frame["seq"])
        return frame

    async def until(self, done: Callable[[dict[str, Any]], bool]) -> None:
        async with asyncio.timeout(FRAME_SECONDS):
            while not done(await self.frame()):
                pass

    async def send(self, body: str, client_id: str | None = None) -> str:
        assert self.ws is not None
        client_id = client_id or str(uuid.uuid4())
        self.sent[client_id] = body
        await self.ws.send(json.dumps({"type": "message", "client_id": client_id, "body": body}))
        return client_id

    async def say(self, body: str) -> int:
        client_id = await self.send(body)
        await self.until(lambda f: f["type"] == "ack" and f["client_id"] == client_id)
        return self.acked[client_id]

    async def resend_unacknowledged(self) -> None:
        for client_id, body in list(self.sent.items()):
            if client_id not in self.acked:
                await self.send(body, client_id)
                await self.until(lambda f, cid=client_id: f["type"] == "ack" and f["client_id"] == cid)  # type: ignore[misc]

    async def wait_for_seq(self, seq: int) -> None:
        if self.cursor < seq:
            await self.until(lambda f: self.cursor >= seq)


class Officer:
    """The console's side: the staff copies of the consultation's messages, by seq."""

    def __init__(self, port: int, cookie: str, consultation: int) -> None:
        self.port, self.cookie, self.consultation = port, cookie, consultation
        self.ws: ClientConnection | None = None
        self.live: list[dict[str, Any]] = []  # message.created events, in arrival order
        self.replayed: list[dict[str, Any]] = []

    @property
    def seqs(self) -> set[int]:
        return {int(m["seq"]) for m in self.live + self.replayed}

    async def connect(self) -> None:
        origin = Origin(f"http://127.0.0.1:{self.port}")
        self.ws = await connect(
            f"ws://127.0.0.1:{self.port}/ws/console/",
            origin=origin,
            additional_headers={"Cookie": self.cookie},
            compression=None,
            open_timeout=10,
        )
        await self.until(lambda f: f["type"] == "hello")
        await self.subscribe(0)

    async def subscribe(self, after: int) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps({"type": "subscribe", "consultation": self.consultation, "after": after}))
        await self.until(lambda f: f["type"] == "replay" and f["done"])

    async def frame(self) -> dict[str, Any]:
        assert self.ws is not None
        async with asyncio.timeout(FRAME_SECONDS):
            frame: dict[str, Any] = json.loads(await self.ws.recv())
        assert frame["type"] != "error", frame
        if frame["type"] == "replay":
            self.replayed.extend(frame["messages"])
        elif frame["type"] == "event" and frame["event"]["type"] == "message.created":
            if frame["event"]["consultation"] == self.consultation:
                self.live.append(frame["event"]["message"])
        return frame

    async def until(self, done: Callable[[dict[str, Any]], bool]) -> None:
        async with asyncio.timeout(FRAME_SECONDS):
            while not done(await self.frame()):
                pass

    async def wait_for_seq(self, seq: int) -> None:
        if seq not in self.seqs:
            await self.until(lambda f: seq in self.seqs)

    def reply(self, body: str) -> int:
        """Reply through the console's HTTP endpoint of this process (session cookie and CSRF token)."""
        csrf = secrets.token_hex(16)
        response = httpx.post(
            f"http://127.0.0.1:{self.port}/console/{self.consultation}/reply/",
            data={"body": body},
            headers={"Cookie": f"{self.cookie}; csrftoken={csrf}", "X-CSRFToken": csrf},
            timeout=FRAME_SECONDS,
        )
        assert response.status_code == 200, response.text[:500]
        return int(response.json()["message"]["seq"])


def _stored(db_url: str, consultation: int) -> list[tuple[int, str, str, str, str | None]]:
    with psycopg.connect(db_url, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT seq, direction, kind, body, external_id FROM consultations_message "
            "WHERE consultation_id = %s ORDER BY seq",
            (consultation,),
        ).fetchall()
    return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


# --- the test -------------------------------------------------------------------------------------------------


def test_visitor_and_officer_on_two_processes_lose_nothing_when_one_dies(
    deployment: tuple[Processes, str],
) -> None:
    processes, db_url = deployment
    made = json.loads(processes.run("shell", "-c", SETUP).strip().splitlines()[-1])
    port_a, port_b = _free_port(), _free_port()
    processes.serve("web-a", port_a)
    processes.serve("web-b", port_b)
    processes.start("worker", "worker", "--threads", "2")

    visitor = Visitor(port_a, "5102", made["token"], made["consultation"])
    officer = Officer(port_b, made["cookie"], made["consultation"])

    crossed: list[int] = []  # the visitor's messages (process A) the officer saw live (process B)
    repeated: dict[str, int] = {}

    async def conversation() -> None:
        await officer.connect()
        await visitor.connect()
        # Both ways across the two processes (through Redis), while both are up.
        for n in range(3):
            seq = await visitor.say(f"Pertanyaan {n} dari pengunjung")
            await officer.wait_for_seq(seq)
            crossed.append(seq)
            reply_seq = officer.reply(f"Jawaban {n} dari petugas")
            await visitor.wait_for_seq(reply_seq)
            await officer.wait_for_seq(reply_seq)
        live_before_kill = [int(m["seq"]) for m in officer.live]
        assert set(crossed) <= set(live_before_kill), (crossed, live_before_kill)
        # Mid-conversation: a message is on its way when the visitor's process dies.
        await visitor.send("Pesan yang terkirim saat server mati")
        processes.kill("web-a")
        # While the visitor is away, the officer keeps writing (on process B).
        missed = [officer.reply(f"Balasan saat pengunjung terputus {n}") for n in range(2)]
        processes.serve("web-a", port_a)
        await visitor.connect()  # from its cursor
        await visitor.wait_for_seq(max(missed))
        await visitor.resend_unacknowledged()  # the same client id: stored once, whether it made it or not
        # A client that lost an ack resends what was in fact stored: the same seq comes back, nothing new.
        first_id = next(iter(visitor.acked))
        await visitor.send(visitor.sent[first_id], first_id)
        await visitor.until(lambda f: f["type"] == "ack" and f["client_id"] == first_id)
        repeated[first_id] = visitor.acked[first_id]
        seq = await visitor.say("Terima kasih, sudah saya terima")
        await officer.wait_for_seq(seq)
        # The console re-subscribes from its cursor whenever it may have missed an event: here, after the crash.
        await officer.subscribe(max(live_before_kill))
        final = officer.reply("Sama-sama")
        await visitor.wait_for_seq(final)
        await officer.wait_for_seq(final)

    asyncio.run(asyncio.wait_for(conversation(), 180))

    stored = _stored(db_url, made["consultation"])
    seqs = [row[0] for row in stored]
    assert seqs == list(range(1, len(seqs) + 1)), seqs  # gapless, each seq once
    visible = {row[0]: row[3] for row in stored if row[2] != "note"}

    # The visitor: every visible message, each body as stored, in seq order on first sight; a row sent again is
    # only a delivery-status update of the same message.
    first_seen: dict[int, str] = {}
    for message in visitor.frames:
        assert visible[int(message["seq"])] == message["body"]
        first_seen.setdefault(int(message["seq"]), message["body"])
    assert list(first_seen) == sorted(first_seen)
    assert first_seen == visible

    # Every message the visitor ever sent is stored exactly once, under its client id (also the one sent twice).
    for client_id, seq in repeated.items():
        assert [row[0] for row in stored if row[4] == client_id] == [seq]
    inbound = [row for row in stored if row[1] == "in"]
    by_client_id = {row[4]: row[3] for row in inbound}
    assert len(by_client_id) == len(inbound)
    for client_id, body in visitor.sent.items():
        assert by_client_id.get(client_id) == body
    assert sum(row[3] == "Pesan yang terkirim saat server mati" for row in inbound) == 1

    # The officer: every message, live or replayed from its cursor, with the stored bodies, nothing else.
    officer_bodies = {int(m["seq"]): m["body"] for m in officer.replayed + officer.live}
    assert officer_bodies == {row[0]: row[3] for row in stored}
    live = [int(m["seq"]) for m in officer.live]
    assert live == sorted(set(live)), live  # live events of one consultation came in order, none twice
