"""The LiveChat adapter: delivery is the visitor's socket, so there is no provider to call.

When the outbox worker "sends" a widget message it is already in the database and its `message.created` event is
on the bus; the visitor's socket pushes it (or replays it on the next connect). The send therefore succeeds at
once with our own id; "delivered" and "read" come later from the widget's acknowledgements
(`chat.acknowledge` → `update_delivery_status`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pstdesk.channels.base import OutboundMessage, ProviderRef


class WebChatAdapter:
    kind = "livechat"

    def send(self, message: OutboundMessage) -> ProviderRef:
        return ProviderRef(external_id=f"web:{message.message_id}")

    def public_contact(self, office: Any, channel: str) -> tuple[str, str] | None:
        if channel == "livechat_pfa":
            return f"/pfa/{office.code}/", str(_("Buka PST From Anywhere"))
        website = office.website
        return (website, website.removeprefix("https://")) if website else None
