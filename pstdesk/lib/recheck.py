"""A socket consumer's periodic re-check (issue 11: a socket must not outlive its login or identity when a bus event
is lost), without a long-lived task: a timer on the loop starts one short check at a time, so a server stopping
without calling `disconnect` leaves no pending task behind ("Task was destroyed but it is pending")."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Recheck:
    """Call `check()` every `interval` seconds until it returns False or `stop()` is called. A check that raises is
    logged and tried again at the next interval (the database may be away for a moment)."""

    def __init__(self, interval: float, check: Callable[[], Awaitable[bool]]) -> None:
        self.interval = interval
        self.check = check
        self.handle: asyncio.TimerHandle | None = None
        self.task: asyncio.Future[None] | None = None
        self.stopped = False

    def start(self) -> None:
        if not self.stopped:
            self.handle = asyncio.get_running_loop().call_later(self.interval, self._run)

    def _run(self) -> None:
        self.handle = None
        if not self.stopped:
            self.task = asyncio.ensure_future(self._once())

    async def _once(self) -> None:
        again = True
        try:
            again = await self.check()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("socket re-check failed", exc_info=True)
        self.task = None
        if again:
            self.start()

    def stop(self) -> None:
        self.stopped = True
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        self.task = None
