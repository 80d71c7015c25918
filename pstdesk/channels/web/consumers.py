"""The visitor's socket: `ws/widget/<office>/`, used by the widget frame and the PST From Anywhere page.

Protocol (JSON frames). The client speaks first:

    → {"type": "hello", "token": "...", "channel": "livechat_website", "consultation": 12, "cursor": 7}
    ← {"type": "ready", "consultation": {...} | null, "officer_read_seq": 3}
    ← {"type": "message", "message": {...}}           every visible message with seq > cursor, in order, then live
    → {"type": "message", "client_id": "<uuid>", "body": "..."}
    ← {"type": "ack", "client_id": "<uuid>", "seq": 8}  (after the message itself)
    ← {"type": "error", "code": "rate_limited"|"too_long"|"empty"|..., "client_id": ..., "message": "..."}
    → {"type": "typing", "on": true}                   ← {"type": "typing", "on": true}   (the officer's)
    → {"type": "delivered"|"read", "seq": 9}           ← {"type": "read", "seq": 8}       (the office read yours)
    ← {"type": "consultation", "consultation": {...}}   status changes (rating due, closed)

    ← {"type": "status", "state": "reconnecting"|"connected", "message": "..."}   the live bus (Redis) lost/back

The socket is only a notification path: whatever it misses, the client gets on its next hello from its cursor.
When the channel layer (Redis) is unreachable the socket stays open: the visitor's messages are still stored and
acknowledged (the database is the record), the client is told "reconnecting", and until the bus answers again
the socket polls the database every few seconds for the office's replies; when it answers, the socket joins its
group again (a restarted Redis has forgotten it), replays what it missed and says "connected".
Messages are always sent in seq order from the database (never from event payloads), so a dropped bus event
leaves no gap: the next event, or the next hello, sends everything after the last seq this socket sent.
Refusals: an Origin that is neither this service nor the office's website (HTTP 403 before accepting), an unknown
office (403), a token that is missing, revoked, expired or of another office (close code 4401).

An open socket is closed when its session stops being valid (revoked by "not you?", expired, the visitor erased:
4401, the client forgets its token) or when its identity changes (the visitor merged into another: 4409, the
client starts again from its session, which now names the surviving identity). The bus tells it at once
(`visitor.<id>` group); a check every WIDGET_SOCKET_RECHECK_SECONDS (60) catches a lost event.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _

from pstdesk.channels.web import append, chat, limits
from pstdesk.channels.web.actions import find_widget_session
from pstdesk.channels.web.models import WidgetSession
from pstdesk.channels.web.writer import drop_unusable_connections, writer
from pstdesk.consultations.models import Consultation, Status
from pstdesk.lib.errors import DomainError
from pstdesk.lib.events import consultation_group, visitor_group
from pstdesk.lib.recheck import Recheck
from pstdesk.offices.models import Office
from pstdesk.offices.offering import LIVECHAT_CHANNELS, offered_channels
from pstdesk.runtime.hub import DirectDispatch

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_IDENTITY_CHANGED = 4409


T = TypeVar("T")

# PostgreSQL: a few threads overlap one call's waits on the database with another's Python work. More do not
# help: the process's Python work is serialised by the GIL, and measured with 100 busy conversations six threads
# delivered a quarter fewer messages than three.
DB_THREADS = 3
_db_pool = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="widget-db")


def db(fn: Callable[..., T]) -> Callable[..., Any]:
    """Run a database call of the socket off the event loop.

    PostgreSQL takes concurrent writers: calls are spread over a small pool of long-lived threads, each with
    its own connection (`database_sync_to_async` drops it when broken or older than CONN_MAX_AGE). Every call is
    self-contained (its own transactions, nothing held between calls), and one socket's frames are handled one
    at a time, so its calls stay in order.

    SQLite has one writer at a time: calls keep to the one shared thread (rather than queueing on the database
    lock), which keeps its connection between calls: opening one (and running the WAL and foreign-key pragmas)
    cost more than most calls it served."""
    if connections["default"].vendor == "postgresql":
        return cast(Callable[..., Any], database_sync_to_async(fn, thread_sensitive=False, executor=_db_pool))
    return sync_to_async(_keeping_connection(fn), thread_sensitive=True)


def _keeping_connection(fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        finally:
            drop_unusable_connections()

    return run


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


# While the bus is down: how often the socket tries it again (and polls the database for replies meanwhile).
BUS_RETRY_SECONDS = 2.0


class WidgetConsumer(DirectDispatch, AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # Channels: no types
    """One visitor's chat socket (see the module docstring for the protocol). Its database calls look after their
    own connections (`db`), so no `close_old_connections` hop runs before each frame or event."""

    office: Office | None = None
    session: WidgetSession | None = None
    channel_kind: str = ""
    consultation_id: int | None = None
    # the active consultation the socket writes to with the lean append (None: through `receive_message`)
    held: append.Held | None = None
    sent_seq: int = 0
    group: str | None = None
    token: str = ""
    identity_group: str | None = None
    watcher: Recheck | None = None
    bus_down: bool = False
    bus_retry_seconds: float = BUS_RETRY_SECONDS

    # --- the channel layer, made to survive an unreachable Redis ---------------------------------------------------
    # Channels' consumer loop awaits `self.channel_receive` (the layer's receive) beside the client's frames, and
    # ends the whole socket when it raises: with Redis down, a handshake answered 500 and a socket closed without a
    # word. The loop sets the attribute itself, so it is a property here: the layer's receive is kept, and the loop
    # gets `_bus_receive`, which turns a failure into a "bus.lost" message handled in order like any other.

    @property
    def channel_receive(self) -> Callable[[], Any]:
        return self._bus_receive

    @channel_receive.setter
    def channel_receive(self, receive: Callable[[], Any]) -> None:
        self._layer_receive = receive

    async def _bus_receive(self) -> dict[str, Any]:
        if self.bus_down:
            await asyncio.sleep(self.bus_retry_seconds)
            return {"type": "bus.retry"}
        try:
            message: dict[str, Any] = await self._layer_receive()
            return message
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("widget socket: channel layer unreachable", exc_info=True)
            self.bus_down = True
            return {"type": "bus.lost"}

    async def bus_lost(self, message: dict[str, Any] | None = None) -> None:
        """The bus failed: tell the client (the socket itself keeps working on the database)."""
        self.bus_down = True
        await self.send_json({"type": "status", "state": "reconnecting", "message": _("Menyambung ulang…")})

    async def bus_retry(self, message: dict[str, Any]) -> None:
        """Try the bus again: rejoin the group (lost with a restarted Redis) and prove a round trip; meanwhile,
        poll the database so the office's replies still arrive."""
        try:
            for group in (self.group, self.identity_group):
                if group:
                    await self.channel_layer.group_add(group, self.channel_name)
            await self.channel_layer.send(self.channel_name, {"type": "bus.probe"})
        except Exception:
            await self.flush()
            return
        self.bus_down = False
        await self.flush()  # what was replied while the bus was down, from the database
        await self.send_json({"type": "status", "state": "connected", "message": _("Tersambung")})

    async def bus_probe(self, message: dict[str, Any]) -> None:
        """Our own round trip through the layer after an outage: nothing to do."""

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["office_code"]
        self.office = await db(Office.objects.filter(code=code).first)()
        if self.office is None or not LIVECHAT_CHANNELS & set(await db(offered_channels)(self.office)):
            await self.close(code=CLOSE_FORBIDDEN)  # unknown office, or one whose standard offers no LiveChat
            return
        origin = _header(self.scope, b"origin")
        host = _header(self.scope, b"host")
        secure = self.scope.get("scheme") in ("wss", "https")
        allowed = limits.socket_origin_allowed(origin, self.office, host=host, secure=secure)  # no database read
        if not allowed:
            log.info("widget socket refused for office %s: origin %r", code, origin)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.ip = limits.client_ip(self.scope)
        await self.accept()
        self.watcher = Recheck(float(getattr(settings, "WIDGET_SOCKET_RECHECK_SECONDS", 60)), self.check_session)
        self.watcher.start()

    async def disconnect(self, code: int) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        await self.leave_groups()

    async def check_session(self) -> bool:
        """Re-check the session now and then: a revoke or merge event lost on the bus still closes the socket.
        False once the socket is closed."""
        if self.session is None or self.office is None:
            return True
        session = await db(find_widget_session)(self.token, self.office.code)
        if session is None or session.visitor.erased_at is not None:
            await self.refuse()
            return False
        if session.visitor_id != self.session.visitor_id:
            await self.identity_changed()
            return False
        return True

    async def identity_changed(self) -> None:
        await self.send_json(
            {"type": "error", "code": "identity_changed", "message": _("Identitas Anda berubah. Memuat ulang…")}
        )
        await self.stop_watching()
        await self.close(code=CLOSE_IDENTITY_CHANGED)

    async def stop_watching(self) -> None:
        """After closing: no further frames from the bus for this socket (its session no longer speaks)."""
        self.session = None
        await self.leave_groups()

    async def leave_groups(self) -> None:
        for group in (self.group, self.identity_group):
            if group:
                try:
                    await self.channel_layer.group_discard(group, self.channel_name)
                except Exception:  # the bus is down: its group expires by itself
                    log.info("widget socket: group_discard failed", exc_info=True)
        self.group = self.identity_group = None

    # --- frames from the client ---------------------------------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_error("bad_frame", _("Bingkai tidak dikenal."))
            return
        kind = content.get("type")
        if kind == "hello":
            await self.hello(content)
            return
        if self.session is None:
            await self.refuse()
            return
        if kind == "message":
            await self.visitor_message(content)
        elif kind == "typing":
            await self.visitor_typing(bool(content.get("on")))
        elif kind in ("delivered", "read"):
            await self.visitor_ack(kind, content.get("seq"))
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_error("bad_frame", _("Bingkai tidak dikenal."))

    async def refuse(self) -> None:
        await self.send_json({"type": "error", "code": "unauthorized", "message": _("Sesi tidak berlaku.")})
        await self.stop_watching()
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def send_error(self, code: str, message: str, client_id: Any = None) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if client_id is not None:
            frame["client_id"] = client_id
        await self.send_json(frame)

    async def hello(self, content: dict[str, Any]) -> None:
        assert self.office is not None
        token = content.get("token")
        session = await db(find_widget_session)(token if isinstance(token, str) else "", self.office.code)
        if session is None:
            await self.refuse()
            return
        try:
            channel = chat.check_channel(str(content.get("channel") or ""))
        except DomainError as exc:
            await self.send_error("bad_channel", exc.message)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.session = session
        self.token = token if isinstance(token, str) else ""
        self.channel_kind = channel
        await self.follow_identity(session.visitor_id)
        consultation = await db(chat.current_consultation)(session, channel)
        cursor = _int(content.get("cursor"))
        if consultation is None or _int(content.get("consultation")) != consultation.pk:
            cursor = 0  # another (or a new) consultation: the client starts from nothing
        await self.follow(consultation.pk if consultation else None, cursor)
        self.hold(consultation)
        state, read_seq = await db(_ready_state)(consultation)
        await self.send_json(
            {"type": "ready", "consultation": state, "officer_read_seq": read_seq, "reconnecting": self.bus_down}
        )
        await self.flush()

    async def follow_identity(self, visitor_id: int) -> None:
        """Listen to the visitor's identity group: merges, erasure and revoked sessions close this socket."""
        group = visitor_group(visitor_id)
        if group == self.identity_group:
            return
        try:
            if self.identity_group:
                await self.channel_layer.group_discard(self.identity_group, self.channel_name)
            self.identity_group = group
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception:  # the bus is down: joined again by `bus_retry` when it answers
            log.warning("widget socket: identity group_add failed", exc_info=True)
            self.identity_group = group
            if not self.bus_down:
                await self.bus_lost()

    async def follow(self, consultation_id: int | None, cursor: int) -> None:
        """Listen to one consultation's group (before replaying, so nothing falls between the two)."""
        if consultation_id == self.consultation_id and self.group:
            return
        if self.group:
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
            except Exception:
                log.info("widget socket: group_discard failed", exc_info=True)
            self.group = None
        self.consultation_id = consultation_id
        self.sent_seq = cursor
        if consultation_id is not None:
            self.group = consultation_group(consultation_id)
            try:
                await self.channel_layer.group_add(self.group, self.channel_name)
            except Exception:  # the bus is down: joined again by `bus_retry` when it answers
                log.warning("widget socket: group_add failed", exc_info=True)
                if not self.bus_down:
                    await self.bus_lost()

    async def flush(self) -> None:
        """Send every visible message after the last seq this socket sent, in order, from the database."""
        if self.consultation_id is None or self.session is None:
            return
        while True:
            rows = await db(chat.replay)(self.session, self.consultation_id, self.sent_seq)
            for row in rows:
                await self.send_json({"type": "message", "message": row})
                self.sent_seq = max(self.sent_seq, int(row["seq"]))
            if len(rows) < chat.REPLAY_LIMIT:
                return

    def hold(self, consultation: Consultation | None) -> None:
        """Keep the consultation the socket's messages go to while it is active and the session's own."""
        session = self.session
        if (
            consultation is None
            or session is None
            or consultation.status == Status.CLOSED
            or consultation.visitor_id != session.visitor_id
            or consultation.office_id != session.office_id
        ):
            self.held = None
            return
        self.held = append.Held(consultation.pk, consultation.office_id, session.visitor_id, consultation.channel)

    async def visitor_message(self, content: dict[str, Any]) -> None:
        assert self.session is not None
        client_id = content.get("client_id")
        if not await limits.ahit(("message_visitor", self.session.pk), ("message_ip", self.ip)):
            await self.send_error(
                "rate_limited", _("Terlalu banyak pesan. Tunggu sebentar, lalu kirim lagi."), client_id
            )
            return
        if self.held is not None and self.held.consultation_id == self.consultation_id:
            try:
                external_id = chat.check_client_id(client_id)
                body = chat.check_body(content.get("body"))
            except chat.MessageRefused as exc:
                await self.send_error(exc.code, exc.message, client_id)
                return
            if await self.append_held(self.held, external_id, body):
                return
            self.held = None  # not the common case any more: `receive_message` decides, and holds again
        try:
            sent, row = await db(_submit)(self.session, self.channel_kind, client_id, content.get("body"))
        except chat.MessageRefused as exc:
            await self.send_error(exc.code, exc.message, client_id)
            return
        except DomainError as exc:
            await self.send_error("refused", exc.message, client_id)
            return
        seq = sent.message.seq
        self.hold(sent.consultation)
        if sent.consultation.pk != self.consultation_id:
            # the first message opened a consultation (or a new one after the old was closed)
            await self.follow(sent.consultation.pk, 0)
            state = await db(chat.consultation_state)(sent.consultation)
            await self.send_json({"type": "consultation", "consultation": state})
            await self.flush()
        elif row is not None and seq == self.sent_seq + 1 and sent.consultation.last_seq == seq:
            # The stored message is the only one after what this socket has sent (nothing came in between, no
            # automatic reply after it): send it as stored, without reading it back.
            await self.send_json({"type": "message", "message": row})
            self.sent_seq = seq
        else:
            await self.flush()
        await self.send_json({"type": "ack", "client_id": sent.message.external_id, "seq": seq})

    async def append_held(self, held: append.Held, external_id: str, body: str) -> bool:
        """The lean append (`append.py`, through the batching `writer`): stored and committed in one round trip (or
        one group commit), its events published from here,
        the follow-ups run only when one can change something; acknowledged after the commit. False when the
        common case does not hold (nothing was stored)."""
        assert self.session is not None
        done = await writer.append(held, external_id, body)
        if done is None:
            return False
        appended, follow = done
        await self.publish(appended.events)
        last_seq = appended.message.seq
        if follow:
            last_seq = await db(append.follow_up)(appended)
        seq = appended.message.seq
        if seq == self.sent_seq + 1 and last_seq == seq:
            row = chat.visitor_message(appended.message, self.session)
            await self.send_json({"type": "message", "message": row})
            self.sent_seq = seq
        else:
            await self.flush()
        await self.send_json({"type": "ack", "client_id": external_id, "seq": seq})
        return True

    async def publish(self, events: list[tuple[list[str], dict[str, Any]]]) -> None:
        """Publish committed events from the event loop (no thread hop); a dead bus never fails the message."""
        for groups, event in events:
            for group in groups:
                try:
                    await self.channel_layer.group_send(group, {"type": "desk.event", "event": event})
                except Exception:
                    log.warning("widget socket: event publish to %s failed", group, exc_info=True)

    async def visitor_typing(self, on: bool) -> None:
        assert self.session is not None
        if self.consultation_id is None or not await limits.ahit(("typing_visitor", self.session.pk)):
            return
        event = {
            "type": "typing",
            "consultation": self.consultation_id,
            "office": self.session.office_id,
            "actor": "visitor",
            "side": "visitor",
            "on": on,
        }
        try:
            await self.channel_layer.group_send(self.group, {"type": "desk.event", "event": event})
        except Exception:  # typing is best effort: never worth an error while the bus is down
            log.info("widget socket: typing not sent", exc_info=True)

    async def visitor_ack(self, kind: str, seq: Any) -> None:
        assert self.session is not None
        if self.consultation_id is None:
            return
        try:
            await db(chat.acknowledge)(self.session, self.consultation_id, up_to_seq=_int(seq), status=kind)
        except DomainError as exc:
            await self.send_error("refused", exc.message)

    # --- events from the bus -------------------------------------------------------------------------------------

    async def desk_event(self, message: dict[str, Any]) -> None:
        event = message.get("event") or {}
        kind = event.get("type")
        if self.session is None:
            return
        if kind == "visitor.changed" and event.get("visitor") == self.session.visitor_id:
            if event.get("reason") == "erased":
                await self.refuse()
            else:
                await self.identity_changed()
            return
        if kind == "widget.session.revoked":
            if event.get("session") == self.session.pk:
                await self.refuse()
            return
        if event.get("consultation") != self.consultation_id:
            return
        if kind == "message.created":
            seq = _int(event.get("seq"))
            if not seq or seq > self.sent_seq:  # messages go out in seq order: one at or below was sent already
                await self.flush()
        elif kind == "message.updated":
            seq = _int(event.get("seq") or (event.get("message") or {}).get("seq"))
            if seq and seq <= self.sent_seq:
                row = await db(chat.one_message)(self.session, self.consultation_id, seq)
                if row is not None:
                    await self.send_json({"type": "message", "message": row})
            await self.flush()
        elif kind == "consultation.updated":
            state = await db(_current_state)(self.session, self.consultation_id)
            await self.send_json({"type": "consultation", "consultation": state})
        elif kind == "typing" and event.get("actor") != "visitor" and event.get("side") != "visitor":
            await self.send_json({"type": "typing", "on": bool(event.get("on"))})
        elif kind in ("consultation.read", "messages.read"):
            seq = await db(chat.officer_read_seq)(self.consultation_id)
            await self.send_json({"type": "read", "seq": seq})


def _submit(session: WidgetSession, channel: str, client_id: Any, body: Any) -> tuple[chat.Sent, dict[str, Any] | None]:
    """Store the visitor's message and render it as the widget shows it (from what was just written: a new
    message's attachments are known, nothing is read back)."""
    sent = chat.submit_message(session, channel=channel, client_id=client_id, body=body)
    return sent, (chat.visitor_message(sent.message, session) if sent.created else None)


def _ready_state(consultation: Any) -> tuple[dict[str, Any] | None, int]:
    read_seq = chat.officer_read_seq(consultation.pk) if consultation is not None else 0
    return chat.consultation_state(consultation), read_seq


def _current_state(session: WidgetSession, consultation_id: int) -> dict[str, Any] | None:
    return chat.consultation_state(chat.consultation_of(session, consultation_id))


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
