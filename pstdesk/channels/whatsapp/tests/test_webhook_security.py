"""The webhook's handshake and signature: nothing is stored unless Meta signed the exact bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pstdesk.channels.whatsapp.models import WebhookDelivery
from pstdesk.channels.whatsapp.parsing import sign, signature_valid
from pstdesk.channels.whatsapp.tests.conftest import SECRET, URL, VERIFY, fixture
from pstdesk.consultations.models import Message

pytestmark = pytest.mark.django_db


def test_verification_echoes_the_challenge(client: Any, wa_settings: Any) -> None:
    response = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response.content == b"1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "x"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "x"},
        {"hub.challenge": "x"},
    ],
)
def test_verification_refuses_anything_else(client: Any, wa_settings: Any, params: dict[str, str]) -> None:
    response = client.get(URL, params)
    assert response.status_code == 403
    assert b"x" not in response.content


def test_verification_refused_when_no_token_is_configured(client: Any, wa_settings: Any) -> None:
    wa_settings.WHATSAPP_VERIFY_TOKEN = ""
    response = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "x"})
    assert response.status_code == 403


def test_missing_signature_is_401_and_nothing_stored(post_webhook: Any) -> None:
    response = post_webhook(fixture("text_message.json"), signature="")
    assert response.status_code == 401
    assert WebhookDelivery.objects.count() == 0
    assert Message.objects.count() == 0


@pytest.mark.parametrize("signature", ["sha256=" + "0" * 64, "sha1=abc", "sha256=", sign("other-secret", b"{}")])
def test_wrong_signature_is_403_and_nothing_stored(post_webhook: Any, signature: str) -> None:
    response = post_webhook(fixture("text_message.json"), signature=signature)
    assert response.status_code == 403
    assert WebhookDelivery.objects.count() == 0
    assert Message.objects.count() == 0


def test_signature_covers_the_raw_bytes_not_the_json(post_webhook: Any) -> None:
    raw = fixture("text_message.json")
    reserialised = json.dumps(json.loads(raw)).encode()
    assert reserialised != raw
    response = post_webhook(raw, signature=sign(SECRET, reserialised))
    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_signature_helper() -> None:
    body = b'{"a": "\\u00e9"}'
    assert signature_valid("s", body, sign("s", body))
    assert not signature_valid("", body, sign("", body))  # no secret configured: refuse everything
    assert not signature_valid("s", body + b" ", sign("s", body))
