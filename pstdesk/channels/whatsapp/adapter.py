"""The WhatsApp channel adapter registered in `channels.base.REGISTRY`."""

from __future__ import annotations

from pstdesk.channels.base import OutboundMessage, ProviderRef


class WhatsAppAdapter:
    """Sends outbox rows through the WhatsApp Cloud API (see `outbound.send_outbound`)."""

    kind = "whatsapp"

    def send(self, message: OutboundMessage) -> ProviderRef:
        from pstdesk.channels.whatsapp.outbound import send_outbound

        return send_outbound(message)
