"""Real-time events. The channel layer is only a notification bus: clients replay from a cursor on reconnect,
so an event lost here is never a message lost."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def office_group(office_code: str) -> str:
    return f"office.{office_code}"


def consultation_group(consultation_id: int) -> str:
    return f"consultation.{consultation_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def visitor_group(visitor_id: int) -> str:
    """The sockets of one visitor identity (the widget), told when the identity changes (merged, erased)."""
    return f"visitor.{visitor_id}"


def publish(groups: Iterable[str], event: dict[str, Any]) -> None:
    """Send now (rollback-unsafe: call it only through publish_on_commit or outside a transaction)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "desk.event", "event": event}
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # a dead bus must never break a committed state change
            log.warning("event publish to %s failed", group, exc_info=True)


def publish_on_commit(groups: Iterable[str], event: dict[str, Any]) -> None:
    """Publish after the surrounding transaction commits; nothing is published if it rolls back."""
    groups = list(groups)
    transaction.on_commit(lambda: publish(groups, event))
