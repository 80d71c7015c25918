"""The in-process event hub of the embedded profile (one process serves web, sockets and workers).

Channels' `InMemoryChannelLayer` scans every socket's queue and every group for expired entries on every
`receive` and `group_send`: with 100 open sockets that cost about 1 ms per chat message, with 1,000 about 8 ms,
and it grows with every socket opened. The hub is that layer with the sweep done at most once a second (expired
entries are still dropped, and a channel whose message expired still leaves its groups: the same rules, paid
once a second instead of once per event), and a `group_send` that puts the event straight on each member's
queue instead of starting one task per member.

The Redis layer (`channels_redis`) stays the layer of the multi-process profile (`REDIS_URL` set): there the
bus has to cross processes.

`DirectDispatch` is a consumer mixin that skips Channels' `aclose_old_connections()` before every event: a
thread hop per frame and per bus event, for consumers whose database calls already look after their own
connections (`pstdesk.channels.web.consumers.db`).
"""

from __future__ import annotations

import asyncio
import time
from copy import deepcopy
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

# How often expired messages and group memberships are swept (seconds).
SWEEP_EVERY = 1.0


class InProcessHub(InMemoryChannelLayer):  # type: ignore[misc]
    """An in-memory channel layer whose cost per event does not grow with the number of open sockets."""

    def __init__(self, *args: Any, sweep_every: float = SWEEP_EVERY, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sweep_every = sweep_every
        self._swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < self.sweep_every:
            return
        self._swept_at = now
        super()._clean_expired()

    async def flush(self) -> None:
        await super().flush()
        self._swept_at = 0.0

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        members = self.groups.get(group)
        if not members:
            return
        expires = time.time() + self.expiry
        for channel in list(members):
            queue = self.channels.get(channel)
            if queue is None:
                queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
            try:
                # a copy per member, as the layer always gave: a consumer may change what it received
                queue.put_nowait((expires, deepcopy(message)))
            except asyncio.QueueFull:
                continue  # a full socket misses the event: the bus is a notification path, clients replay


class DirectDispatch:
    """Dispatch a consumer's messages without Channels' `aclose_old_connections()` hop before each one."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


__all__ = ["ChannelFull", "DirectDispatch", "InProcessHub"]
