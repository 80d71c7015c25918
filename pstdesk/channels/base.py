"""The channel adapter interface. The core never sees provider JSON or MIME: adapters turn provider payloads into
frozen `InboundMessage`s for `consultations.actions.receive_message`, and send `OutboundMessage`s built from outbox
rows."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class ChannelError(Exception):
    """A send or parse failure. `permanent=True` means retrying cannot help (the outbox row fails)."""

    def __init__(self, message: str, *, permanent: bool = False, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = code


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class InboundMessage:
    """One message from a visitor, as the core sees it, whatever the channel."""

    channel: str
    office_code: str
    external_id: str
    body: str
    sent_at: datetime | None = None
    # Who sent it, as far as the channel knows.
    sender_name: str = ""
    sender_email: str = ""
    sender_whatsapp: str = ""  # E.164
    sender_wa_id: str = ""
    sender_wa_user_id: str = ""
    visitor_id: int | None = None  # set when the channel already knows the visitor (widget token)
    consultation_id: int | None = None  # set when the channel already threaded it (e-mail reply token)
    attachments: tuple[InboundAttachment, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict)
    auto_submitted: bool = False  # never answer automatically (auto-replies, bounces, lists)
    # False for an answer that belongs to a closed consultation's own procedure (a rating given after closing,
    # close-then-rate offices): stored in that consultation without reopening it.
    reopens: bool = True


@dataclass(frozen=True)
class OutboundMessage:
    message_id: int
    consultation_id: int
    office_code: str
    channel: str
    body: str
    payload: dict[str, Any]
    to_email: str = ""
    to_whatsapp: str = ""
    to_wa_user_id: str = ""


@dataclass(frozen=True)
class ProviderRef:
    """What the provider answered for a send: its id for the message (wamid, Message-ID)."""

    external_id: str


class Adapter(Protocol):
    kind: str

    def send(self, message: OutboundMessage) -> ProviderRef: ...


# One line per channel kind; imported lazily so a channel's dependencies load only when used.
REGISTRY: dict[str, str] = {
    **dict.fromkeys(("livechat_website", "livechat_pfa"), "pstdesk.channels.web.adapter.WebChatAdapter"),
    "email": "pstdesk.channels.email.adapter.EmailAdapter",
    "whatsapp": "pstdesk.channels.whatsapp.adapter.WhatsAppAdapter",
}


def get_adapter(channel: str) -> Adapter:
    dotted = REGISTRY[channel]
    module_name, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)()  # type: ignore[no-any-return]
