"""PostgreSQL connections cut under load (issue 11 §9): `pstdesk serve` (as `make run` starts it, with its embedded
task workers) takes LiveChat messages on the widget socket and signed WhatsApp webhook POSTs while every one of
its database connections is terminated, three times (`pg_terminate_backend`, what a PostgreSQL restart or a
fail-over does to a client; the shared server itself is never restarted). Meanwhile the clients behave like
theirs do: Meta redelivers a POST that was not answered 200, the widget reconnects and resends what was not
acknowledged (same client id).

What must hold: every message acknowledged (a 200, an `ack` frame) is stored exactly once; the server never
answers 500; the same process recovers by itself (no restart), and `/readyz` reports the database ok again.

Collected only when DATABASE_URL is a PostgreSQL server that answers (see conftest.py). It builds its own database
(`<the suite's database>_pgrestart`), so it never touches the rest of the suite's. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

pytestmark = pytest.mark.multiprocess

APP_SECRET = "pg-restart-app-secret"
PNID = "105102"
MESSAGES = 16  # per channel
KILLS = 3
STARTUP_SECONDS = 60

SETUP = """
import json
from pstdesk.channels.web.actions import open_widget_session
from pstdesk.guestbook.actions import identify_visitor
from pstdesk.lib.actors import ChannelActor, VisitorActor
from pstdesk.offices.models import ChannelAccount, Office

office = Office.objects.get(code="5102")
ChannelAccount.objects.update_or_create(office_id="5102", kind="whatsapp", defaults={"external_key": "105102"})
tokens = []
for n in range(2):
    visitor = identify_visitor(name=f"Ni Luh Restart {n}", email=f"restart{n}@demo.invalid", by=ChannelActor("test"))
    session, token = open_widget_session(office, visitor, by=VisitorActor(visitor.pk))
    tokens.append(token)
print(json.dumps({"tokens": tokens}))
"""

STORED = """
import json
from django.db.models import Count
from pstdesk.channels.whatsapp.models import WebhookDelivery
from pstdesk.consultations.models import Message
rows = Message.objects.filter(direction="in").values("channel", "external_id").annotate(n=Count("id"))
print(json.dumps({"messages": [[r["channel"], r["external_id"], r["n"]] for r in rows],
                  "deliveries": WebhookDelivery.objects.count(),
                  "waiting": WebhookDelivery.objects.filter(state__in=["received", "processing"]).count()}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


class Server:
    """`pstdesk serve` on its own database, with its log; `cli` runs one management command like an operator."""

    def __init__(self, tmp_path: Path) -> None:
        base = os.environ["DATABASE_URL"]
        self.database = (urlsplit(base).path.strip("/") or "pstdesk") + "_pgrestart"
        self.url = _with_path(base, f"/{self.database}")
        self.admin_url = _with_path(base, "/postgres")
        self.port = _free_port()
        self.log_path = tmp_path / "serve.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "DEMO", "REDIS_URL"))},
            "DJANGO_SETTINGS_MODULE": "pstdesk.settings",
            "DATABASE_URL": self.url,
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": secrets.token_urlsafe(40),
            "TASKS_IMMEDIATE": "false",
            "LOG_LEVEL": "WARNING",
            "WHATSAPP_APP_SECRET": APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": "pg-restart-verify",
            "WHATSAPP_ACCESS_TOKEN": "pg-restart-access",
            # Outbound sends (the greeting) go to a closed local port: they fail and wait in the outbox.
            "WHATSAPP_API_BASE": f"http://127.0.0.1:{_free_port()}",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def _admin(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
            cur = conn.execute(sql, params or None)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def create_database(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.database}"')

    def drop_database(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def terminate_backends(self) -> int:
        """Cut every connection the server holds to its database (never the PostgreSQL service itself)."""
        rows = self._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            self.database,
        )
        return sum(1 for (done,) in rows if done)

    def cli(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "pstdesk.cli", *args], env=self.env, capture_output=True, timeout=timeout
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        return done.stdout.decode()

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pstdesk.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"serve exited:\n{self.log()}"
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve not ready within {STARTUP_SECONDS} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path)
    server.create_database()
    try:
        server.cli("migrate", "--noinput")
        yield server
    finally:
        server.stop()
        server.drop_database()


# --- the two clients ----------------------------------------------------------------------------------------------


def whatsapp_body(n: int) -> bytes:
    message = {
        "from": f"62812555{n % 3:04d}",
        "id": f"wamid.pgrestart.{n}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": f"Pesan WhatsApp nomor {n}"},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6285173215102", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": f"Pengguna {n % 3}"}, "wa_id": message["from"]}],
        "messages": [message],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "205102", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


class Meta:
    """Meta's webhook sender: POSTs each body until it is answered 200 (a 503 or a broken connection: again)."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/channels/whatsapp/webhook"
        self.answers: list[int] = []
        self.acknowledged: set[str] = set()

    async def deliver(self, client: httpx.AsyncClient, n: int) -> None:
        body = whatsapp_body(n)
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        for _attempt in range(40):
            try:
                answer = await client.post(
                    self.url, content=body, headers={"X-Hub-Signature-256": signature}, timeout=30
                )
            except httpx.HTTPError:
                await asyncio.sleep(0.25)
                continue
            self.answers.append(answer.status_code)
            if answer.status_code == 200:
                self.acknowledged.add(f"wamid.pgrestart.{n}")
                return
            await asyncio.sleep(0.25)
        raise AssertionError(f"WhatsApp POST {n} never acknowledged: {self.answers[-10:]}")


class Widget:
    """The LiveChat widget: sends with a client id, waits for the ack; on an error or a dropped socket it
    reconnects and resends the unacknowledged message with the same client id."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.ws: ClientConnection | None = None
        self.consultation: int | None = None
        self.acknowledged: dict[str, int] = {}
        self.errors: list[str] = []
        self.reconnects = 0

    async def connect(self) -> None:
        self.ws = await connect(
            f"ws://127.0.0.1:{self.port}/ws/widget/5102/",
            origin=Origin(f"http://127.0.0.1:{self.port}"),
            compression=None,
            open_timeout=10,
        )
        hello: dict[str, Any] = {"type": "hello", "token": self.token, "channel": "livechat_website"}
        if self.consultation is not None:
            hello["consultation"] = self.consultation
        await self.ws.send(json.dumps(hello))
        async with asyncio.timeout(10):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame["type"] == "ready":
                    return
                if frame["type"] == "error":
                    raise ConnectionError(str(frame))

    async def _ack(self, client_id: str) -> int:
        assert self.ws is not None
        async with asyncio.timeout(15):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame["type"] == "ack" and frame.get("client_id") == client_id:
                    return int(frame["seq"])
                if frame["type"] == "error":
                    raise ConnectionError(str(frame))
                if frame["type"] == "state" and (frame.get("consultation") or {}).get("id"):
                    self.consultation = int(frame["consultation"]["id"])

    async def say(self, body: str) -> None:
        client_id = str(uuid.uuid4())
        for _attempt in range(20):
            try:
                if self.ws is None:
                    await self.connect()
                assert self.ws is not None
                await self.ws.send(json.dumps({"type": "message", "client_id": client_id, "body": body}))
                self.acknowledged[client_id] = await self._ack(client_id)
                return
            except (ConnectionError, OSError, TimeoutError, Exception) as exc:  # noqa: B014 - websockets' errors too
                self.errors.append(f"{exc.__class__.__name__}: {str(exc)[:200]}")
                if self.ws is not None:
                    await self.ws.close()
                self.ws = None
                self.reconnects += 1
                await asyncio.sleep(0.3)
        raise AssertionError(f"LiveChat message never acknowledged: {self.errors[-5:]}")


async def _ready(port: int, *, within: float = 30.0) -> dict[str, Any]:
    """/readyz polled until it says ok (bounded): the answer, and how long the recovery took."""
    started = time.monotonic()
    body: dict[str, Any] = {}
    async with httpx.AsyncClient() as client:
        while time.monotonic() - started < within:
            try:
                answer = await client.get(f"http://127.0.0.1:{port}/readyz", timeout=within)
            except httpx.HTTPError as exc:
                body = {"error": exc.__class__.__name__}
                continue
            body = {**answer.json(), "http_status": answer.status_code}
            if answer.status_code == 200:
                break
            await asyncio.sleep(0.2)
    body["seconds"] = round(time.monotonic() - started, 2)
    return body


async def _traffic(server: Server, tokens: list[str]) -> dict[str, Any]:
    """Both channels at once, message after message. The first cuts fall between requests (connections idle in
    the pool or held by a socket); the last one lands while a POST and a chat message are in flight."""
    # Two visitors, each under the widget's 20 messages a minute even with resends.
    meta, widgets = Meta(server.port), [Widget(server.port, token) for token in tokens]
    killed: list[int] = []
    ready_after_cut: list[dict[str, Any]] = []
    kill_at = sorted(MESSAGES * (k + 1) // (KILLS + 1) for k in range(KILLS))
    in_flight = kill_at[-1]
    idle_phase: dict[str, int] = {}

    async def cut(delay: float = 0.0) -> None:
        await asyncio.sleep(delay)
        killed.append(await asyncio.to_thread(server.terminate_backends))

    async with httpx.AsyncClient() as client:
        for widget in widgets:
            await widget.connect()
        for n in range(MESSAGES):
            if n == in_flight:
                idle_phase = {"503": meta.answers.count(503), "resends": sum(len(w.errors) for w in widgets)}
            elif n in kill_at:
                await cut()
            traffic = [meta.deliver(client, n), widgets[n % 2].say(f"Pesan LiveChat nomor {n}")]
            if n == in_flight:
                traffic.append(cut(0.02))
            await asyncio.gather(*traffic)  # the clients first: the probe must not clear dead connections for them
            if n in kill_at:
                ready_after_cut.append(await _ready(server.port))
    for widget in widgets:
        if widget.ws is not None:
            await widget.ws.close()
    return {
        "meta": meta,
        "widgets": widgets,
        "killed": killed,
        "ready_after_cut": ready_after_cut,
        "idle_phase": idle_phase,
    }


def test_connections_cut_under_load_lose_and_duplicate_nothing(server: Server) -> None:
    tokens = json.loads(server.cli("shell", "-c", SETUP).strip().splitlines()[-1])["tokens"]
    server.start()
    assert server.process is not None
    pid = server.process.pid

    run = asyncio.run(_traffic(server, tokens))
    meta, widgets, killed = run["meta"], run["widgets"], run["killed"]
    acknowledged = {cid: seq for widget in widgets for cid, seq in widget.acknowledged.items()}
    errors = [error for widget in widgets for error in widget.errors]

    assert len(killed) == KILLS and all(n >= 1 for n in killed), killed  # the server's connections were cut
    assert server.process.poll() is None and server.process.pid == pid, server.log()  # the same process, alive
    assert set(meta.answers) <= {200, 503}, (meta.answers, server.log())  # never a 500
    # A connection cut while idle is replaced before use (the pool checks it): no client even retries, and the
    # readiness probe after the cut says the database is ok once the pool has new connections.
    assert run["idle_phase"] == {"503": 0, "resends": 0}, (run["idle_phase"], errors, server.log())
    for ready in run["ready_after_cut"]:
        assert ready["http_status"] == 200 and ready["components"]["database"]["status"] == "ok", ready
    ready = httpx.get(f"http://127.0.0.1:{server.port}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["components"]["database"]["status"] == "ok"

    # A POST is answered once its body is stored; the server's worker processes it after that: wait (bounded)
    # until the backlog is processed.
    deadline = time.monotonic() + 60
    stored = json.loads(server.cli("shell", "-c", STORED).strip().splitlines()[-1])
    while stored["waiting"] and time.monotonic() < deadline:
        time.sleep(0.5)
        stored = json.loads(server.cli("shell", "-c", STORED).strip().splitlines()[-1])
    assert stored["waiting"] == 0, server.log()
    counts = {(channel, external_id): n for channel, external_id, n in stored["messages"]}
    assert len(meta.acknowledged) == MESSAGES and len(acknowledged) == MESSAGES
    for wamid in meta.acknowledged:
        assert counts.get(("whatsapp", wamid)) == 1, wamid
    for client_id in acknowledged:
        assert counts.get(("livechat_website", client_id)) == 1, client_id
    assert all(n == 1 for n in counts.values())
    # Redeliveries of one POST are counted on its row, not stored again.
    assert stored["deliveries"] == MESSAGES
    print(
        f"\nready after the cuts in {[r['seconds'] for r in run['ready_after_cut']]} s; "
        f"killed {killed} backends; webhook answers {sorted(set(meta.answers))} "
        f"({meta.answers.count(503)} x 503); widget resends {len(errors)}: {errors[:3]}"
    )
