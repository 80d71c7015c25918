"""Fixtures of the WhatsApp channel tests: the simulator on a free port (the Graph API the adapter calls), Meta's
webhook sender delivering through the Django test client, and helpers for visitors and consultations."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from pstdesk.channels.whatsapp.parsing import sign
from pstdesk.channels.whatsapp.simulator import RunningSimulator, Simulator

SECRET = "test-app-secret"
TOKEN = "test-access-token"
VERIFY = "test-verify-token"
URL = "/channels/whatsapp/webhook"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def process_stored() -> int:
    """The worker's step, in the test's thread: process every stored delivery (what `pstdesk serve`'s drainer
    does after the POST was answered). Returns how many deliveries were processed."""
    from pstdesk.channels.webhooks import drain_all

    return drain_all()


class ClientTransport:
    """Meta's webhook sender, through the Django test client, followed by the worker's step (`process_stored`);
    commits run their on-commit callbacks (deliveries, events) like a real commit."""

    def __init__(self, client: Client, capture: Any) -> None:
        self.client = client
        self.capture = capture
        self.answers: list[int] = []

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        with self.capture(execute=True):
            response = self.client.post(
                URL,
                data=body,
                content_type="application/json",
                headers={"X-Hub-Signature-256": headers["X-Hub-Signature-256"]},
            )
            process_stored()
        self.answers.append(response.status_code)
        return response.status_code

    def get(self, params: dict[str, str]) -> tuple[int, str]:
        response = self.client.get(URL, params)
        return response.status_code, response.content.decode()


@pytest.fixture(autouse=True)
def office_hours() -> Iterator[None]:
    """Monday 10:00 WITA: inside both offices' service hours, so no out-of-hours reply joins the conversation."""
    with time_machine.travel(datetime(2026, 11, 23, 2, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def wa_settings(settings: Any) -> Any:
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.WHATSAPP_ACCESS_TOKEN = TOKEN
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY
    settings.WHATSAPP_API_VERSION = "25.0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "wa-tests"}}
    from django.core.cache import cache

    cache.clear()
    return settings


@pytest.fixture
def post_webhook(client: Client, wa_settings: Any, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """POST a body to the webhook, signed with the app secret unless a signature is given, then process what was
    stored (the worker's step)."""

    def post(body: bytes | dict[str, Any], signature: str | None = None) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"X-Hub-Signature-256": sign(SECRET, raw) if signature is None else signature}
        if signature == "":
            headers = {}
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, data=raw, content_type="application/json", headers=headers)
            process_stored()
        return response

    return post


@pytest.fixture
def sim(db: None, client: Client, wa_settings: Any, django_capture_on_commit_callbacks: Any) -> Iterator[Simulator]:
    simulator = Simulator(
        app_secret=SECRET,
        access_token=TOKEN,
        verify_token=VERIFY,
        transport=ClientTransport(client, django_capture_on_commit_callbacks),
        seed=20260101,
        retry_base=0.0,
        auto_read=True,
    )
    running = RunningSimulator(simulator)
    wa_settings.WHATSAPP_API_BASE = running.url
    yield simulator
    running.stop()
