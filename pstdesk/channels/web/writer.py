"""The writer of the lean append: one thread per process that stores the widget sockets' messages in batches.

A socket hands its message to the writer and awaits a future; the writer takes everything that arrived while it
was committing the previous batch and stores it in one transaction (group commit), then settles each future from
the event loop's side (`call_soon_threadsafe`). A message is acknowledged only after the batch holding it has
committed. A batch of one is stored as it comes (PostgreSQL: one autocommitted statement; SQLite: one
transaction); a larger one pays one BEGIN and one COMMIT for all of them.

On SQLite the single writer thread is also the only way a batch's messages take the write lock: no queueing on
the database lock, one connection kept open. On PostgreSQL it is one connection for all sockets of the process:
a batch is one transaction, so the commit's wait for the disk is shared.

A failure inside a batch (a racing duplicate client id, a broken connection) rolls the whole batch back, and each
message is then stored alone, so one message's failure is only its own. Nothing is acknowledged that was not
committed: a future gets the stored message, None (the common case did not hold: the caller goes through
`receive_message`), or the exception.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading

from django.db import connections, transaction

from pstdesk.channels.web import append

log = logging.getLogger(__name__)

# The most messages one transaction stores (what arrived during one commit is usually far fewer).
MAX_BATCH = 200

Result = tuple[append.Appended, bool] | None
_Item = tuple[append.Held, str, str, asyncio.AbstractEventLoop, "asyncio.Future[Result]"]
_Release = threading.Event


def drop_unusable_connections() -> None:
    """What Django does between two requests, except closing a healthy connection for its age: drop a connection
    left outside autocommit, or one that failed and no longer answers."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"]:
            conn.close()
        elif conn.errors_occurred:
            if conn.is_usable():
                conn.errors_occurred = False
            else:
                conn.close()


def _store_one(held: append.Held, external_id: str, body: str) -> Result:
    appended = append.append_visitor_message(held, external_id=external_id, body=body)
    if appended is None:
        return None
    return appended, append.needs_follow_up(appended)


class AppendWriter:
    """The process's batching writer (started with the first message)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Item | _Release] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    async def append(self, held: append.Held, external_id: str, body: str) -> Result:
        """Store one message; returns after its batch committed (see `append.append_visitor_message`)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._ensure_running()
        self._queue.put((held, external_id, body, loop, future))
        return await future

    def release(self, timeout: float = 5.0) -> None:
        """Close the writer thread's database connections (its next batch opens them again): a test database
        can then be dropped."""
        if self._thread is None or not self._thread.is_alive():
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def _ensure_running(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="widget-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if isinstance(first, threading.Event):
                connections.close_all()
                first.set()
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, threading.Event):
                    self._queue.put(item)  # after this batch
                    break
                batch.append(item)
            try:
                outcomes = self._store(batch)
            finally:
                drop_unusable_connections()
            for (_held, _id, _body, loop, future), outcome in zip(batch, outcomes, strict=True):
                loop.call_soon_threadsafe(_settle, future, outcome)

    def _store(self, batch: list[_Item]) -> list[Result | BaseException]:
        if len(batch) > 1:
            try:
                with transaction.atomic():
                    appended = [
                        append.append_visitor_message(held, external_id=external_id, body=body)
                        for held, external_id, body, _loop, _future in batch
                    ]
                # committed: now the follow-up decisions (the calendar may be read on a cache miss)
                return [(a, append.needs_follow_up(a)) if a is not None else None for a in appended]
            except Exception:
                log.info("widget writer: a batch of %d failed; storing each alone", len(batch), exc_info=True)
                drop_unusable_connections()
        outcomes: list[Result | BaseException] = []
        for held, external_id, body, _loop, _future in batch:
            try:
                outcomes.append(_store_one(held, external_id, body))
            except Exception as exc:
                drop_unusable_connections()
                outcomes.append(exc)
        return outcomes


def _settle(future: asyncio.Future[Result], outcome: Result | BaseException) -> None:
    if future.done():  # the socket went away while its message was stored
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


writer = AppendWriter()
