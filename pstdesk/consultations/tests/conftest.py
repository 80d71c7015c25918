"""Fixtures of the consultation core tests: inbound messages, visitors whose requirements are complete, a fake
channel adapter registered for the test, and the events published after commit."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from pstdesk.channels import base as channel_base
from pstdesk.channels.base import ChannelError, InboundMessage, OutboundMessage, ProviderRef
from pstdesk.guestbook.models import Consent, GuestbookEntry, Visitor
from pstdesk.testing.identities import inbound_message

_ids = itertools.count(1)


def make_inbound(office: str = "5102", channel: str = "whatsapp", **fields: Any) -> InboundMessage:
    n = next(_ids)
    defaults: dict[str, Any] = {
        "channel": channel,
        "office_code": office,
        "external_id": f"ext-{n}",
        "body": f"Saya butuh data kemiskinan {n}",
        "sender_name": "Putu",
        "sender_wa_id": "6281234567890" if channel == "whatsapp" else "",
        "sender_whatsapp": "+6281234567890" if channel == "whatsapp" else "",
        "sender_email": "putu@example.test" if channel == "email" else "",
    }
    defaults.update(fields)
    return inbound_message(**defaults)


def complete_requirements(visitor: Visitor, office: str) -> Visitor:
    """Everything both seed standards require: a guestbook entry with consent, a verified e-mail, a WhatsApp
    number."""
    from pstdesk.guestbook.actions import PRIVACY_NOTICE_VERSION

    GuestbookEntry.objects.create(
        visitor=visitor,
        office_id=office,
        sex="2",
        age_group="2",
        education="3",
        occupation="1",
        institution_category="6",
        institution_name="Universitas Udayana",
        purpose="1",
    )
    Consent.objects.create(visitor=visitor, notice_version=PRIVACY_NOTICE_VERSION)
    visitor.email = visitor.email or "putu@example.test"
    visitor.email_verified_at = timezone.now()
    visitor.whatsapp = visitor.whatsapp or "+6281234567890"
    visitor.save()
    return visitor


class FakeAdapter:
    """Records sends; `script` holds what the next sends do: "ok", "retry", "permanent"."""

    kind = "fake"
    sent: list[OutboundMessage] = []
    script: list[str] = []

    def send(self, message: OutboundMessage) -> ProviderRef:
        outcome = FakeAdapter.script.pop(0) if FakeAdapter.script else "ok"
        if outcome == "retry":
            raise ChannelError("provider busy (429)")
        if outcome == "permanent":
            raise ChannelError("131047: re-engagement message", permanent=True)
        FakeAdapter.sent.append(message)
        return ProviderRef(external_id=f"wamid.{message.message_id}")


@pytest.fixture
def fake_adapter(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeAdapter]]:
    FakeAdapter.sent = []
    FakeAdapter.script = []
    registry = dict(channel_base.REGISTRY)
    for channel in ("whatsapp", "email", "livechat_website", "livechat_pfa"):
        registry[channel] = f"{__name__}.FakeAdapter"
    monkeypatch.setattr(channel_base, "REGISTRY", registry)
    yield FakeAdapter


@pytest.fixture
def no_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channel_base, "REGISTRY", {})


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, Any]]]:
    """Events as published after commit: (groups, event)."""
    seen: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr("pstdesk.lib.events.publish", lambda groups, event: seen.append((list(groups), event)))
    return seen


@pytest.fixture
def inbound() -> Callable[..., InboundMessage]:
    return make_inbound


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run a callable and then its on-commit callbacks (events, deliveries), like a real commit would."""

    def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
