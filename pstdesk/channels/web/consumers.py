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

The socket is only a notification path: whatever it misses, the client gets on its next hello from its cursor.
Messages are always sent in seq order from the database (never from event payloads), so a dropped bus event
leaves no gap: the next event, or the next hello, sends everything after the last seq this socket sent.
Refusals: an Origin that is neither this service nor the office's website (HTTP 403 before accepting), an unknown
office (403), a token that is missing, revoked, expired or of another office (close code 4401).
"""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from pstdesk.channels.web import chat, limits
from pstdesk.channels.web.actions import find_widget_session
from pstdesk.channels.web.models import WidgetSession
from pstdesk.consultations.errors import DomainError
from pstdesk.lib.events import consultation_group
from pstdesk.offices.models import Office

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class WidgetConsumer(AsyncJsonWebsocketConsumer):
    """One visitor's chat socket (see the module docstring for the protocol)."""

    office: Office | None = None
    session: WidgetSession | None = None
    channel_kind: str = ""
    consultation_id: int | None = None
    sent_seq: int = 0
    group: str | None = None

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["office_code"]
        self.office = await database_sync_to_async(Office.objects.filter(code=code).first)()
        if self.office is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        origin = _header(self.scope, b"origin")
        host = _header(self.scope, b"host")
        secure = self.scope.get("scheme") in ("wss", "https")
        allowed = await database_sync_to_async(limits.socket_origin_allowed)(
            origin, self.office, host=host, secure=secure
        )
        if not allowed:
            log.info("widget socket refused for office %s: origin %r", code, origin)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.ip = limits.client_ip(self.scope)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

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
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def send_error(self, code: str, message: str, client_id: Any = None) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if client_id is not None:
            frame["client_id"] = client_id
        await self.send_json(frame)

    async def hello(self, content: dict[str, Any]) -> None:
        assert self.office is not None
        token = content.get("token")
        session = await database_sync_to_async(find_widget_session)(
            token if isinstance(token, str) else "", self.office.code
        )
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
        self.channel_kind = channel
        consultation = await database_sync_to_async(chat.current_consultation)(session, channel)
        cursor = _int(content.get("cursor"))
        if consultation is None or _int(content.get("consultation")) != consultation.pk:
            cursor = 0  # another (or a new) consultation: the client starts from nothing
        await self.follow(consultation.pk if consultation else None, cursor)
        state = await database_sync_to_async(chat.consultation_state)(consultation)
        read_seq = await database_sync_to_async(chat.officer_read_seq)(consultation.pk) if consultation else 0
        await self.send_json({"type": "ready", "consultation": state, "officer_read_seq": read_seq})
        await self.flush()

    async def follow(self, consultation_id: int | None, cursor: int) -> None:
        """Listen to one consultation's group (before replaying, so nothing falls between the two)."""
        if consultation_id == self.consultation_id and self.group:
            return
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        self.consultation_id = consultation_id
        self.sent_seq = cursor
        if consultation_id is not None:
            self.group = consultation_group(consultation_id)
            await self.channel_layer.group_add(self.group, self.channel_name)

    async def flush(self) -> None:
        """Send every visible message after the last seq this socket sent, in order, from the database."""
        if self.consultation_id is None or self.session is None:
            return
        while True:
            rows = await database_sync_to_async(chat.replay)(self.session, self.consultation_id, self.sent_seq)
            for row in rows:
                await self.send_json({"type": "message", "message": row})
                self.sent_seq = max(self.sent_seq, int(row["seq"]))
            if len(rows) < chat.REPLAY_LIMIT:
                return

    async def visitor_message(self, content: dict[str, Any]) -> None:
        assert self.session is not None
        client_id = content.get("client_id")
        if not limits.hit("message_visitor", self.session.pk) or not limits.hit("message_ip", self.ip):
            await self.send_error(
                "rate_limited", _("Terlalu banyak pesan. Tunggu sebentar, lalu kirim lagi."), client_id
            )
            return
        try:
            sent = await database_sync_to_async(chat.submit_message)(
                self.session, channel=self.channel_kind, client_id=client_id, body=content.get("body")
            )
        except chat.MessageRefused as exc:
            await self.send_error(exc.code, exc.message, client_id)
            return
        except DomainError as exc:
            await self.send_error("refused", exc.message, client_id)
            return
        if sent.consultation.pk != self.consultation_id:
            # the first message opened a consultation (or a new one after the old was closed)
            await self.follow(sent.consultation.pk, 0)
            state = await database_sync_to_async(chat.consultation_state)(sent.consultation)
            await self.send_json({"type": "consultation", "consultation": state})
        await self.flush()
        await self.send_json({"type": "ack", "client_id": sent.message.external_id, "seq": sent.message.seq})

    async def visitor_typing(self, on: bool) -> None:
        assert self.session is not None
        if self.consultation_id is None or not limits.hit("typing_visitor", self.session.pk):
            return
        event = {
            "type": "typing",
            "consultation": self.consultation_id,
            "office": self.session.office_id,
            "actor": "visitor",
            "side": "visitor",
            "on": on,
        }
        await self.channel_layer.group_send(self.group, {"type": "desk.event", "event": event})

    async def visitor_ack(self, kind: str, seq: Any) -> None:
        assert self.session is not None
        if self.consultation_id is None:
            return
        try:
            await database_sync_to_async(chat.acknowledge)(
                self.session, self.consultation_id, up_to_seq=_int(seq), status=kind
            )
        except DomainError as exc:
            await self.send_error("refused", exc.message)

    # --- events from the bus -------------------------------------------------------------------------------------

    async def desk_event(self, message: dict[str, Any]) -> None:
        event = message.get("event") or {}
        kind = event.get("type")
        if self.session is None or event.get("consultation") != self.consultation_id:
            return
        if kind == "message.created":
            await self.flush()
        elif kind == "message.updated":
            seq = _int(event.get("seq") or (event.get("message") or {}).get("seq"))
            if seq and seq <= self.sent_seq:
                row = await database_sync_to_async(chat.one_message)(self.session, self.consultation_id, seq)
                if row is not None:
                    await self.send_json({"type": "message", "message": row})
            await self.flush()
        elif kind == "consultation.updated":
            consultation = await database_sync_to_async(chat.consultation_of)(self.session, self.consultation_id)
            state = await database_sync_to_async(chat.consultation_state)(consultation)
            await self.send_json({"type": "consultation", "consultation": state})
        elif kind == "typing" and event.get("actor") != "visitor" and event.get("side") != "visitor":
            await self.send_json({"type": "typing", "on": bool(event.get("on"))})
        elif kind in ("consultation.read", "messages.read"):
            seq = await database_sync_to_async(chat.officer_read_seq)(self.consultation_id)
            await self.send_json({"type": "read", "seq": seq})
        elif kind == "widget.session.revoked" and event.get("session") == self.session.pk:
            await self.refuse()


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
