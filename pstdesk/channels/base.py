"""The channel adapter interface. The core never sees provider JSON or MIME: adapters turn provider payloads into
frozen `InboundMessage`s for `consultations.actions.receive_message`, and send `OutboundMessage`s built from outbox
rows.

Every adapter can `send`. Everything else a channel may or may not offer is an optional capability, a method the
adapter has or lacks (the Protocols below name them); the core and the console ask `capability(channel, name)`
and never import a channel package:
- `mark_read(consultation)`: tell the visitor the office read their messages (run by the worker, never in a request);
- `reply_window_closes_at(consultation)`: when free-form replies stop being allowed (WhatsApp's 24 hours);
- `approved_templates(consultation)` and `send_template(consultation, by=, name=, language=, params=)`: messages
  allowed outside that window;
- `public_contact(office, channel)`: the (link, text) the public office list shows for the channel, None when the
  office has set no contact for it;
- `validate_account(external_key, config) -> (external_key, config)`: check and normalise an office's
  `offices.ChannelAccount` of this kind, raising Django's `ValidationError` keyed by "external_key" or "config"
  (the admin shows it on that field).
(Typing indicators travel on the event bus, which only the LiveChat widget listens to; a provider-side
`send_typing` capability would be added here with its first channel.)
A new channel is one folder plus one `REGISTRY` line (and a `Channel` choice); it implements what it supports. What
a channel keeps of a visitor (raw payloads, sessions) it registers with `guestbook.erasure.register_holder` in its
own `AppConfig.ready`, so erasure and retention reach it whichever adapter is registered for sending."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pstdesk.lib.actors import Actor


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
class Sender:
    """Who sent an inbound message, as the channel knows them: an identity `kind` and `key` (becoming a
    `guestbook.VisitorIdentity`), whether the provider proved it (`verified`: WhatsApp's ids are, an e-mail From
    header is not), the name they go by, the same person's `other_keys` on this channel ((kind, key) pairs, tried
    after `key`), and the contact details the channel learnt (`email`, `phone` in E.164)."""

    kind: str
    key: str
    verified: bool = False
    display_name: str = ""
    other_keys: tuple[tuple[str, str], ...] = ()
    email: str = ""
    phone: str = ""

    def keys(self) -> list[tuple[str, str]]:
        """Every (kind, key) of the sender, the preferred first; empty keys left out."""
        return [(kind, key) for kind, key in ((self.kind, self.key), *self.other_keys) if kind and key]


@dataclass(frozen=True)
class Recipient:
    """Who an outbound message goes to: the visitor's contact details and every channel identity they hold
    ((kind, key) pairs); each adapter picks the keys of its own kinds (`key("whatsapp")`)."""

    name: str = ""
    email: str = ""
    phone: str = ""
    identities: tuple[tuple[str, str], ...] = ()

    def key(self, kind: str) -> str:
        """The first key of `kind` the visitor holds ("" when none)."""
        return next((key for k, key in self.identities if k == kind), "")


@dataclass(frozen=True)
class InboundMessage:
    """One message from a visitor, as the core sees it, whatever the channel."""

    channel: str
    office_code: str
    external_id: str
    body: str
    sent_at: datetime | None = None
    # Who sent it, as far as the channel knows (None: the channel already knows the visitor, see `visitor_id`).
    sender: Sender | None = None
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
    recipient: Recipient = field(default_factory=Recipient)
    # Written by the desk, not by an officer (acknowledgements, reminders): e-mail marks it Auto-Submitted.
    is_automatic: bool = False


@dataclass(frozen=True)
class ProviderRef:
    """What the provider answered for a send: its id for the message (wamid, Message-ID)."""

    external_id: str


class Adapter(Protocol):
    kind: str

    def send(self, message: OutboundMessage) -> ProviderRef: ...


# --- optional capabilities (see the module docstring) ------------------------------------------------------------


@runtime_checkable
class MarksRead(Protocol):
    def mark_read(self, consultation: Any) -> bool:
        """Tell the visitor their messages were read; True when a mark was sent. Failures are logged, not raised."""


@runtime_checkable
class HasReplyWindow(Protocol):
    def reply_window_closes_at(self, consultation: Any) -> datetime | None:
        """When free-form replies stop being allowed (None: no window open, or none known)."""


@runtime_checkable
class HasTemplates(Protocol):
    def approved_templates(self, consultation: Any) -> list[Any]:
        """The templates an officer may send in this consultation (each with `name`, `language`, `body_text`)."""

    def send_template(
        self, consultation: Any, *, by: Actor, name: str, language: str, params: list[str] | tuple[str, ...] = ()
    ) -> Any:
        """Queue one template to the visitor; returns the outbox `Message`."""


@runtime_checkable
class HasPublicContact(Protocol):
    def public_contact(self, office: Any, channel: str) -> tuple[str, str] | None:
        """The link and the text the public list of offices shows for `channel` (None: no contact set)."""


@runtime_checkable
class ValidatesAccount(Protocol):
    def validate_account(self, external_key: str, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The account's key and config, normalised; `ValidationError` on "external_key" or "config" if wrong."""


# One line per channel kind; imported lazily so a channel's dependencies load only when used.
REGISTRY: dict[str, str] = {
    **dict.fromkeys(("livechat_website", "livechat_pfa"), "pstdesk.channels.web.adapter.WebChatAdapter"),
    "email": "pstdesk.channels.email.adapter.EmailAdapter",
    "whatsapp": "pstdesk.channels.whatsapp.adapter.WhatsAppAdapter",
}


def _load(dotted: str) -> Adapter:
    module_name, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)()  # type: ignore[no-any-return]


def get_adapter(channel: str) -> Adapter:
    return _load(REGISTRY[channel])


def capability(channel: str, name: str) -> Any:
    """The bound method `name` of the channel's adapter, or None when the channel has no adapter or the adapter
    does not offer it (see the module docstring for the names)."""
    if channel not in REGISTRY:
        return None
    return getattr(get_adapter(channel), name, None)
