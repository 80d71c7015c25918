"""The WhatsApp webhook through the real entry points: `pstdesk serve` as `make run` starts it (the embedded
profile: SQLite in DATA_DIR, the worker inside the web process), and `pstdesk serve --no-tasks` beside a
`pstdesk worker` process. Meta's signed POSTs are answered once stored; the worker then processes them: each
sender's messages in order, every wamid once (a redelivered POST too), a malformed item recorded with its reason
while the valid item beside it is stored, a consultation per sender. Every wait is bounded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

SECRET = "serve-intake-secret"
STARTUP_SECONDS = 60
PROCESS_SECONDS = 60

SETUP = """
from pstdesk.offices.models import ChannelAccount
ChannelAccount.objects.update_or_create(office_id="5102", kind="whatsapp", defaults={"external_key": "105102"})
"""

STATE = """
import json
from pstdesk.channels.whatsapp.models import WebhookDelivery
from pstdesk.consultations.models import Message
messages = Message.objects.filter(channel="whatsapp", direction="in").order_by("consultation_id", "seq")
print(json.dumps({
    "waiting": WebhookDelivery.objects.filter(state__in=["received", "processing"]).count(),
    "deliveries": [[d.state, d.attempts, d.error] for d in WebhookDelivery.objects.order_by("id")],
    "messages": [[m.consultation.visitor.identity("whatsapp"), m.external_id, m.consultation_id] for m in messages],
}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _message(wa_id: str, wamid: str, text: str) -> dict[str, Any]:
    return {"from": wa_id, "id": wamid, "timestamp": "1795399200", "type": "text", "text": {"body": text}}


def _body(wa_id: str, *messages: dict[str, Any]) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6285173215102", "phone_number_id": "105102"},
        "contacts": [{"profile": {"name": f"Pengirim {wa_id[-2:]}"}, "wa_id": wa_id}],
        "messages": list(messages),
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "205102", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


def _sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


class Deployment:
    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.log_path = tmp_path / "serve.log"
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DJANGO_", "PYTEST", "DEMO", "DATABASE_URL", "REDIS_URL", "TASKS_"))
            },
            "DJANGO_SETTINGS_MODULE": "pstdesk.settings",
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "INFO",
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": "serve-intake-verify",
            "WHATSAPP_ACCESS_TOKEN": "serve-intake-access",
            # Outbound sends (the greeting) go to a closed local port: they fail and wait in the outbox.
            "WHATSAPP_API_BASE": f"http://127.0.0.1:{_free_port()}",
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "pstdesk.cli", *args], env=self.env, capture_output=True, timeout=300
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        return done.stdout.decode()

    def state(self) -> dict[str, Any]:
        return json.loads(self.cli("shell", "-c", STATE).strip().splitlines()[-1])

    def start(self, *args: str) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "pstdesk.cli", *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert all(p.poll() is None for p in self.processes), f"exited:\n{self.log()}"
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve not ready within {STARTUP_SECONDS} s:\n{self.log()}")

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path)
    deployment.cli("migrate", "--noinput")
    deployment.cli("shell", "-c", SETUP)
    try:
        yield deployment
    finally:
        deployment.stop()


def _deliver_and_check(deployment: Deployment) -> None:
    url = f"http://127.0.0.1:{deployment.port}/channels/whatsapp/webhook"
    ana, budi = "6281200000001", "6281200000002"
    posts = [
        _body(ana, _message(ana, "wamid.ana.1", "Halo, saya Ana")),
        _body(budi, _message(budi, "wamid.budi.1", "Selamat pagi")),
        _body(ana, _message(ana, "wamid.ana.2", "Mohon data kemiskinan")),
        # a malformed item (no id) beside a valid message: the reason kept, the valid one stored
        _body(budi, _message(budi, "wamid.budi.2", "Data inflasi?"), {"from": budi, "type": "text", "text": {}}),
        _body(ana, _message(ana, "wamid.ana.3", "Tahun 2024")),
    ]
    with httpx.Client(timeout=30) as client:
        answers = [client.post(url, content=b, headers={"X-Hub-Signature-256": _sign(b)}).status_code for b in posts]
        redelivered = client.post(url, content=posts[0], headers={"X-Hub-Signature-256": _sign(posts[0])})
        forged = client.post(url, content=posts[1], headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
        unsigned = client.post(url, content=posts[1])
    assert answers == [200] * 5 and redelivered.status_code == 200
    assert (forged.status_code, unsigned.status_code) == (403, 401)

    deadline = time.monotonic() + PROCESS_SECONDS
    state = deployment.state()
    while (state["waiting"] or len(state["messages"]) < 5) and time.monotonic() < deadline:
        time.sleep(0.5)
        state = deployment.state()
    assert state["waiting"] == 0, deployment.log()
    # every wamid once, each sender's in the order Meta sent them, one consultation per sender
    by_sender: dict[str, list[str]] = {}
    consultations: dict[str, set[int]] = {}
    for wa_id, wamid, consultation in state["messages"]:
        by_sender.setdefault(wa_id, []).append(wamid)
        consultations.setdefault(wa_id, set()).add(consultation)
    assert by_sender == {
        ana: ["wamid.ana.1", "wamid.ana.2", "wamid.ana.3"],
        budi: ["wamid.budi.1", "wamid.budi.2"],
    }, state
    assert all(len(ids) == 1 for ids in consultations.values()) and consultations[ana] != consultations[budi]
    # five rows: the redelivery counted on its row; the malformed item's reason on its delivery
    deliveries = state["deliveries"]
    assert [d[0] for d in deliveries] == ["processed", "processed", "processed", "partial", "processed"], deliveries
    assert deliveries[0][1] == 2 and "invalid item" in deliveries[3][2]


def test_serve_embedded_acknowledges_stored_posts_and_its_worker_processes_them(deployment: Deployment) -> None:
    deployment.start("serve", "--port", str(deployment.port))
    deployment.wait_ready()
    _deliver_and_check(deployment)
    assert "webhook drainers started: whatsapp" in deployment.log()


def test_a_worker_process_processes_what_a_web_process_without_tasks_stored(deployment: Deployment) -> None:
    deployment.start("serve", "--port", str(deployment.port), "--no-tasks")
    deployment.start("worker", "--threads", "1")
    deployment.wait_ready()
    _deliver_and_check(deployment)
