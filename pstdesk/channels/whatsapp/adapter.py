"""The WhatsApp channel adapter registered in `channels.base.REGISTRY`: sending, and the optional capabilities
the console and the worker look up (read marks, the 24-hour window, templates)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pstdesk.channels.base import OutboundMessage, ProviderRef
from pstdesk.channels.whatsapp import accounts, actions, outbound
from pstdesk.lib.actors import Actor
from pstdesk.offices.presentation import whatsapp_link


class WhatsAppAdapter:
    """Sends outbox rows through the WhatsApp Cloud API (see `outbound.send_outbound`)."""

    kind = "whatsapp"

    def send(self, message: OutboundMessage) -> ProviderRef:
        return outbound.send_outbound(message)

    def validate_account(self, external_key: str, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return accounts.validate_account(external_key, config)

    def mark_read(self, consultation: Any) -> bool:
        return actions.send_read_mark(consultation)

    def reply_window_closes_at(self, consultation: Any) -> datetime | None:
        return outbound.window_closes_at(consultation)

    def approved_templates(self, consultation: Any) -> list[Any]:
        return actions.approved_templates(consultation)

    def send_template(
        self, consultation: Any, *, by: Actor, name: str, language: str, params: list[str] | tuple[str, ...] = ()
    ) -> Any:
        return actions.send_template(consultation, by=by, name=name, language=language, params=params)

    def public_contact(self, office: Any, channel: str) -> tuple[str, str] | None:
        number = office.whatsapp_number
        return (whatsapp_link(number), number) if number else None
