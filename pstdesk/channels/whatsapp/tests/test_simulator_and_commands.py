"""The simulator as Meta's webhook sender (signing, handshake, retries with backoff), its user page, the demo ids
and the commands."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import httpx
import pytest
from django.core.management import call_command

from pstdesk.channels.whatsapp.models import WhatsAppTemplate
from pstdesk.channels.whatsapp.parsing import ParsedMessage, parse_webhook, signature_valid
from pstdesk.channels.whatsapp.seeding import load_demo_whatsapp_ids
from pstdesk.channels.whatsapp.simulator import RunningSimulator, Simulator
from pstdesk.channels.whatsapp.tests.conftest import SECRET, TOKEN, VERIFY
from pstdesk.offices.models import ChannelAccount, Office
from pstdesk.testing.identities import set_whatsapp_account, whatsapp_ids

pytestmark = pytest.mark.django_db


class Flaky:
    """A receiver that answers 500 a few times, recording what it got."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.bodies: list[bytes] = []
        self.challenge_ok = True

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        assert signature_valid(SECRET, body, headers["X-Hub-Signature-256"])
        self.bodies.append(body)
        if self.failures:
            self.failures -= 1
            return 500
        return 200

    def get(self, params: dict[str, str]) -> tuple[int, str]:
        ok = self.challenge_ok and params["hub.verify_token"] == VERIFY and params["hub.mode"] == "subscribe"
        return (200, params["hub.challenge"]) if ok else (403, "Forbidden")


def test_webhooks_are_signed_and_retried_with_backoff_until_2xx() -> None:
    receiver = Flaky(failures=3)
    sim = Simulator(app_secret=SECRET, access_token=TOKEN, transport=receiver, retry_base=0.0, chaos=False)
    wamid = sim.user_says("105102", "6281234567890", "halo")
    assert sim.pump() == 1
    assert len(receiver.bodies) == 4  # three 500s, then accepted
    assert all(b == receiver.bodies[0] for b in receiver.bodies)
    item = parse_webhook(json.loads(receiver.bodies[0]))[0]
    assert isinstance(item, ParsedMessage) and item.wamid == wamid
    assert sim.queue == []


def test_backoff_waits_between_attempts() -> None:
    receiver = Flaky(failures=1)
    sim = Simulator(app_secret=SECRET, access_token=TOKEN, transport=receiver, retry_base=60.0, chaos=False)
    sim.user_says("105102", "6281234567890", "halo")
    assert sim.pump() == 0
    assert len(receiver.bodies) == 1 and len(sim.queue) == 1
    assert sim.queue[0].next_at > sim.now() + 50


def test_no_delivery_before_the_verification_handshake() -> None:
    receiver = Flaky(failures=0)
    receiver.challenge_ok = False
    sim = Simulator(
        app_secret=SECRET, access_token=TOKEN, verify_token=VERIFY, transport=receiver, require_verification=True
    )
    sim.user_says("105102", "6281234567890", "halo")
    assert sim.pump() == 0 and receiver.bodies == []
    receiver.challenge_ok = True
    assert sim.pump() == 1


def test_graph_api_requires_the_bearer_token_and_serves_media() -> None:
    sim = Simulator(app_secret=SECRET, access_token=TOKEN)
    running = RunningSimulator(sim)
    try:
        media_id = sim.add_media(b"%PDF-1.4", "application/pdf", "a.pdf")
        refused = httpx.get(f"{running.url}/v25.0/{media_id}")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == 190
        auth = {"Authorization": f"Bearer {TOKEN}"}
        info = httpx.get(f"{running.url}/v25.0/{media_id}", headers=auth).json()
        assert info["file_size"] == 8 and info["mime_type"] == "application/pdf"
        assert httpx.get(info["url"]).status_code == 401
        assert httpx.get(info["url"], headers=auth).content == b"%PDF-1.4"
        upload = httpx.post(
            f"{running.url}/v25.0/105102/media",
            headers=auth,
            data={"messaging_product": "whatsapp", "type": "image/png"},
            files={"file": ("x.png", b"\x89PNG\r\n\x1a\nrest", "image/png")},
        )
        assert sim.media[upload.json()["id"]][0] == b"\x89PNG\r\n\x1a\nrest"
        page = httpx.get(f"{running.url}/")
        assert page.status_code == 200 and "WhatsApp" in page.text
        said = httpx.post(f"{running.url}/sim/say", json={"pnid": "105102", "user": "6281234567890", "text": "hai"})
        assert said.json()["id"].startswith("wamid.")
        chat = httpx.get(f"{running.url}/sim/chat", params={"pnid": "105102", "user": "6281234567890"}).json()
        assert chat["in_window"] is True and chat["messages"][0]["text"] == "hai"
    finally:
        running.stop()


def test_demo_ids_fill_only_empty_fields(db: None) -> None:
    assert whatsapp_ids("5102")[0] == "105102"
    assert whatsapp_ids("5101")[0] == "105101"
    set_whatsapp_account("5102", "777", "888")
    load_demo_whatsapp_ids()
    office = Office.objects.get(code="5102")
    assert whatsapp_ids(office.code) == ("777", "888")


def test_sync_whatsapp_templates_command(sim: Simulator) -> None:
    out = StringIO()
    call_command("sync_whatsapp_templates", stdout=out)
    assert "205102: 7 templates" in out.getvalue()
    assert WhatsAppTemplate.objects.filter(waba_id="205101").count() == 7
    sim.templates = sim.templates[:3]
    call_command("sync_whatsapp_templates", "--office", "5102", stdout=out)
    assert WhatsAppTemplate.objects.filter(waba_id="205102").count() == 3
    from pstdesk.audit.models import AuditLog

    assert AuditLog.objects.filter(verb="whatsapp.templates_synced").count() == 3


def test_whatsapp_sim_command_refuses_without_secrets(settings: Any) -> None:
    from django.core.management.base import CommandError

    settings.WHATSAPP_APP_SECRET = ""
    with pytest.raises(CommandError):
        call_command("run_whatsapp_simulator")
