"""Provider webhooks: store, then process. The shared base of every channel that is pushed deliveries (WhatsApp
today; the next webhook channel subclasses `WebhookIntake` too).

The request does only what must happen before the provider is answered:
1. check the signature of the raw body (the channel's `check_signature`);
2. store the body with one statement (an upsert on its SHA-256: a redelivery counts an attempt on the row);
3. answer 200 once that statement has committed, 503 when it could not be stored (the provider redelivers).

Under `pstdesk serve` a small ASGI handler (`WebhookASGI`) answers the POST before Django: no middleware, no
thread per request. Its bodies go to one writer thread per process that commits what arrived while the previous
commit ran in one transaction (group commit); each request is answered after its own batch committed. Django's
view (the test client, a WSGI server, the GET handshake) stores with the same statement.

A worker then processes what was stored (`drain`, run by `Drainer` threads in `pstdesk serve`'s embedded profile
and in `pstdesk worker`):
- a batch is claimed with one conditional UPDATE (`state` received → processing, a lease in `available_at`), and
  only while no other worker holds an unexpired lease: one worker drains at a time, in id order, so each sender's
  messages are processed in the order they were stored, also with several worker processes;
- the batch is processed in that order (the channel's `process_batch`: by default each delivery on its own with
  `process`; WhatsApp shares the batch's reads and transaction): items idempotent (wamid, (wamid, status)), a
  malformed item's reason kept on its row without stopping the rest, the outcomes written with one UPDATE per
  distinct outcome (`finish_many`);
- a delivery that failed for a reason that may pass (the media endpoint down) is released for a retry after
  `retry_seconds`; the database unavailable stops the batch (its leases expire and the next claim takes them
  again); a worker that dies mid-batch leaves leases that expire after `lease_seconds`.

The delivery model must have the fields of `whatsapp.models.WebhookDelivery`: body, body_sha256 (unique), state,
attempts, received_at, available_at, items, failed_items, error, processed_at.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.db.models import Model
from django.http.request import split_domain_port, validate_host
from django.utils import timezone

log = logging.getLogger(__name__)

# The database cannot be reached (down, restarting, the pool exhausted): the provider must redeliver later.
UNAVAILABLE = (OperationalError, InterfaceError)
MAX_ATTEMPTS = 32767  # the attempts column's limit: a replayed body counts up to it, never overflows into a 500

RECEIVED, PROCESSING = "received", "processing"

# One line per webhook channel (imported lazily, like the adapters' registry in `channels.base`).
REGISTRY: dict[str, str] = {"whatsapp": "pstdesk.channels.whatsapp.webhook.intake"}


@dataclass
class Outcome:
    """What processing one delivery came to; `state` is one of the delivery model's states."""

    state: str = "processed"
    items: int = 0
    errors: list[str] = field(default_factory=list)
    transient: bool = False  # a failure that may pass: process the delivery again later


@dataclass(frozen=True)
class Stored:
    """A delivery claimed for processing."""

    pk: int
    body: bytes


class WebhookIntake:
    """One provider's webhook. Subclasses set `name`, `path`, `model` and implement `check_signature` and
    `process`; storing, acknowledging, claiming and draining are shared."""

    name: ClassVar[str]
    path: ClassVar[str]
    model: ClassVar[type[Model]]
    batch_size: ClassVar[int] = 50
    lease_seconds: ClassVar[int] = 120
    retry_seconds: ClassVar[int] = 30
    # Final states a redelivery of the same body sends back to the workers (a partial failure may have passed).
    processed_again: ClassVar[tuple[str, ...]] = ("partial", "unrouted")

    def __init__(self) -> None:
        # Set when a body is stored in this process: a drainer of the same process starts at once.
        self.wakeup = threading.Event()
        self._writer: GroupWriter | None = None
        self._writer_lock = threading.Lock()

    # --- the channel's part ---------------------------------------------------------------------------------------

    def check_signature(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, str] | None:
        """None when the body is signed by the provider, else the answer (status, text). `headers` lower-case."""
        raise NotImplementedError

    def process(self, delivery: Stored) -> Outcome:
        """Process one stored delivery, idempotently (a delivery may be processed again after a crash), and call
        `finish` with its outcome, in the transaction of its items when it has one."""
        raise NotImplementedError

    # --- store ----------------------------------------------------------------------------------------------------

    def _upsert_sql(self) -> str:
        table = connection.ops.quote_name(self.model._meta.db_table)
        cap = "LEAST" if connection.vendor == "postgresql" else "MIN"  # SQLite's two-argument MIN is scalar
        again = ", ".join(f"'{state}'" for state in self.processed_again)
        return (
            f"INSERT INTO {table} (received_at, body, state, items, failed_items, error, attempts, body_sha256) "
            f"VALUES (%s, %s, '{RECEIVED}', 0, 0, '', 1, %s) "
            f"ON CONFLICT (body_sha256) DO UPDATE SET attempts = {cap}({table}.attempts + 1, {MAX_ATTEMPTS}), "
            # A redelivery of a delivery that failed in part (or was routed nowhere) is processed again, now.
            f"state = CASE WHEN {table}.state IN ({again}) THEN '{RECEIVED}' ELSE {table}.state END, "
            f"available_at = CASE WHEN {table}.state IN ({again}, '{RECEIVED}') THEN NULL "
            f"ELSE {table}.available_at END"
        )

    def _params(self, body: bytes) -> tuple[Any, ...]:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        return (now, body, hashlib.sha256(body).hexdigest())

    def store(self, body: bytes) -> int:
        """Store one body with one statement (autocommit); returns the row's id (new or the redelivered one)."""
        with connection.cursor() as cursor:
            cursor.execute(self._upsert_sql() + " RETURNING id", self._params(body))
            (pk,) = cursor.fetchone()
        self.wakeup.set()
        return int(pk)

    def store_many(self, bodies: list[bytes]) -> None:
        """Store bodies in one transaction (one statement when there is one body). Raises when nothing was stored."""
        sql = self._upsert_sql()
        if len(bodies) == 1:
            with connection.cursor() as cursor:
                cursor.execute(sql, self._params(bodies[0]))
        else:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, [self._params(body) for body in bodies])
        self.wakeup.set()

    def writer(self) -> GroupWriter:
        with self._writer_lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = GroupWriter(self)
                self._writer.start()
            return self._writer

    # --- process --------------------------------------------------------------------------------------------------

    def pending(self) -> int:
        """Deliveries stored and not yet processed (a metrics gauge)."""
        return int(self.model._default_manager.filter(state__in=[RECEIVED, PROCESSING]).count())

    def claim(self, limit: int | None = None) -> list[Stored]:
        """Take the oldest stored deliveries for processing, unless another worker holds a live lease (one
        conditional statement, so two workers never take the same delivery nor work side by side)."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        now = timezone.now()
        adapt = connection.ops.adapt_datetimefield_value
        due = (
            f"((state = '{RECEIVED}' AND (available_at IS NULL OR available_at <= %s)) "
            f"OR (state = '{PROCESSING}' AND available_at <= %s))"
        )
        sql = (
            f"UPDATE {table} SET state = '{PROCESSING}', available_at = %s "
            f"WHERE id IN (SELECT id FROM {table} WHERE {due} ORDER BY id LIMIT %s) AND {due} "
            f"AND NOT EXISTS (SELECT 1 FROM {table} held WHERE held.state = '{PROCESSING}' AND held.available_at > %s) "
            f"RETURNING id, body"
        )
        lease = adapt(now + timedelta(seconds=self.lease_seconds))
        at = adapt(now)
        with connection.cursor() as cursor:
            cursor.execute(sql, [lease, at, at, limit or self.batch_size, at, at, at])
            rows = cursor.fetchall()
        return sorted((Stored(pk=int(pk), body=bytes(body)) for pk, body in rows), key=lambda d: d.pk)

    def process_batch(self, batch: list[Stored]) -> None:
        """Process a claimed batch, in order. The default processes each delivery on its own (`process`); a
        channel may process the batch together (shared reads, one transaction) with the same outcome per delivery.
        Raises UNAVAILABLE when the database is away (the caller releases the batch)."""
        for delivery in batch:
            try:
                self.process(delivery)
            except UNAVAILABLE:
                raise
            except Exception as exc:
                # A bug or bad data that processing again will not heal: kept on the row (for `reprocess`).
                log.exception("%s webhook delivery %s failed", self.name, delivery.pk)
                self.finish(delivery, Outcome(state="partial", errors=[f"{exc.__class__.__name__}: {exc}"]))

    def drain(self, limit: int | None = None) -> int:
        """One worker step: claim a batch and process it (`process_batch`). Returns how many were claimed (0:
        nothing to do). The database unavailable stops the batch: what is unfinished is released."""
        batch = self.claim(limit)
        if not batch:
            return 0
        try:
            self.process_batch(batch)
        except UNAVAILABLE:
            log.warning("%s webhook batch of %s: database unavailable, retried later", self.name, len(batch))
            self._release(batch)
            raise
        return len(batch)

    def _release(self, deliveries: list[Stored]) -> None:
        """Give claimed deliveries back at once (on a new connection), so the next claim need not wait for their
        leases to expire; when the database is still away the leases expire instead."""
        _discard_connection()
        try:
            self.model._default_manager.filter(pk__in=[d.pk for d in deliveries], state=PROCESSING).update(
                state=RECEIVED, available_at=None
            )
        except UNAVAILABLE:
            _discard_connection()

    def finish(self, delivery: Stored, outcome: Outcome) -> None:
        self.finish_many([(delivery, outcome)])

    def finish_many(self, finished: list[tuple[Stored, Outcome]]) -> None:
        """Write the outcomes of processed deliveries on their rows: one UPDATE per distinct outcome (a batch that
        went well is one statement). A transient failure releases the delivery for a retry after `retry_seconds`."""
        manager = self.model._default_manager
        groups: dict[tuple[Any, ...], list[int]] = {}
        for delivery, outcome in finished:
            # NUL removed: PostgreSQL refuses it in text, and a refused item's reason may quote what it was sent.
            error = "\n".join(outcome.errors).replace("\x00", "")[:10000]
            key = (outcome.transient, outcome.state, outcome.items, len(outcome.errors), error)
            groups.setdefault(key, []).append(delivery.pk)
        now = timezone.now()
        for (transient, state, items, failed, error), pks in groups.items():
            rows = manager.filter(pk__in=pks) if len(pks) > 1 else manager.filter(pk=pks[0])
            if transient:
                rows.update(
                    state=RECEIVED,
                    available_at=now + timedelta(seconds=self.retry_seconds),
                    error=error,
                    failed_items=failed,
                )
            else:
                rows.update(
                    state=state, items=items, failed_items=failed, error=error, processed_at=now, available_at=None
                )


def intakes() -> list[WebhookIntake]:
    found = []
    for dotted in REGISTRY.values():
        module_name, _, attr = dotted.rpartition(".")
        found.append(getattr(importlib.import_module(module_name), attr))
    return found


def drain_all(rounds: int = 1000) -> int:
    """Process everything stored, in this thread (tests, `manage.py` commands): the worker's step until nothing
    is left. Returns how many deliveries were processed."""
    total = 0
    for intake in intakes():
        for _ in range(rounds):
            taken = intake.drain()
            total += taken
            if not taken:
                break
    return total


# --- the request side: group commit and the ASGI handler -------------------------------------------------------------


class GroupWriter(threading.Thread):
    """The one thread of a process that stores webhook bodies: what arrived while the previous commit ran is
    committed in one transaction, then every request of that batch is answered (from the event loop)."""

    MAX_BATCH = 256

    def __init__(self, intake: WebhookIntake) -> None:
        super().__init__(name=f"webhook-writer-{intake.name}", daemon=True)
        self.intake = intake
        self.queue: queue.SimpleQueue[tuple[bytes, asyncio.AbstractEventLoop, asyncio.Future[bool]]] = (
            queue.SimpleQueue()
        )

    def submit(self, body: bytes) -> asyncio.Future[bool]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self.queue.put((body, loop, future))
        return future

    def run(self) -> None:
        while True:
            batch = [self.queue.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            stored = self._store([body for body, _loop, _future in batch])
            for _body, loop, future in batch:
                loop.call_soon_threadsafe(_resolve, future, stored)

    def _store(self, bodies: list[bytes]) -> bool:
        # A connection cut while idle (a PostgreSQL restart) fails the first statement: one more try on a new
        # connection. The upsert is idempotent on the body's hash, so a retry after a lost commit stores nothing
        # twice (it counts one more attempt).
        for attempt in (1, 2):
            try:
                self.intake.store_many(bodies)
                return True
            except UNAVAILABLE:
                log.warning("%s webhook: storing %s bodies failed (try %s)", self.intake.name, len(bodies), attempt)
                _discard_connection()
            except Exception:
                log.exception("%s webhook: storing %s bodies failed", self.intake.name, len(bodies))
                _discard_connection()
                return False
        return False


def _discard_connection() -> None:
    try:
        connection.close()
    except Exception:  # a broken connection may fail to close; it is dropped either way
        log.debug("closing a broken connection failed", exc_info=True)


def _resolve(future: asyncio.Future[bool], stored: bool) -> None:
    if not future.done():
        future.set_result(stored)


def _plain(status: int, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    body = text.encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"x-content-type-options", b"nosniff"),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class WebhookASGI:
    """ASGI middleware answering the signed POSTs of the registered webhooks before Django; everything else (the
    GET handshake, other paths, a request Django must refuse or redirect) goes to `app`."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.routes: dict[str, WebhookIntake] | None = None

    def _route(self, scope: Mapping[str, Any]) -> WebhookIntake | None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            return None
        if self.routes is None:
            self.routes = {intake.path: intake for intake in intakes()}
        intake = self.routes.get(scope.get("path", ""))
        if intake is None or (settings.SECURE_SSL_REDIRECT and scope.get("scheme") != "https"):
            return None

        host = next((v.decode("latin-1") for k, v in scope.get("headers") or [] if k == b"host"), "")
        domain, _port = split_domain_port(host)
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return None  # Django answers 400 (and logs it)
        return intake

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        intake = self._route(scope)
        if intake is None:
            await self.app(scope, receive, send)
            return
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2**31
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                start, end = _plain(413, "too large")
                await send(start)
                await send(end)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        refused = intake.check_signature(body, headers)
        if refused is not None:
            start, end = _plain(*refused)
        elif await intake.writer().submit(body):
            start, end = _plain(200, "OK")
        else:
            start, end = _plain(503, "retry")
        await send(start)
        await send(end)


# --- the worker side ------------------------------------------------------------------------------------------------


def poll_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_POLL_SECONDS", 1.0))


class Drainer(threading.Thread):
    """A worker thread processing one webhook's stored deliveries: at once when this process stored one, else
    every `WEBHOOK_POLL_SECONDS` (deliveries stored by another process)."""

    def __init__(self, intake: WebhookIntake) -> None:
        super().__init__(name=f"webhook-drainer-{intake.name}", daemon=True)
        self.intake = intake
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.intake.wakeup.clear()
            try:
                taken = self.intake.drain()
            except Exception:
                log.warning("%s webhook drainer: step failed, trying again", self.intake.name, exc_info=True)
                _discard_connection()
                taken = 0
                self.stopping.wait(poll_seconds())
            finally:
                close_old_connections()  # back to the pool between batches (a cut connection is replaced)
            if not taken:
                self.intake.wakeup.wait(poll_seconds())

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.intake.wakeup.set()
        self.join(timeout)


def start_drainers() -> list[Drainer]:
    drainers = [Drainer(intake) for intake in intakes()]
    for drainer in drainers:
        drainer.start()
    log.info("webhook drainers started: %s", ", ".join(d.intake.name for d in drainers))
    return drainers


def stop_drainers(drainers: list[Drainer]) -> None:
    for drainer in drainers:
        drainer.stop()
