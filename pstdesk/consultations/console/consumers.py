"""The officer console's socket: `ws/console/`.

Protocol (JSON frames):

    ← {"type": "hello", "user": 5, "offices": ["5102"]}                      on connect
    → {"type": "subscribe", "consultation": 12, "after": 7}
    ← {"type": "replay", "consultation": 12, "after": 7, "messages": [...], "state": {...}, "done": true}
    ← {"type": "error", "code": "not_found", "consultation": 12, "message": "..."}   missing or not visible
    → {"type": "unsubscribe", "consultation": 12}
    → {"type": "typing", "consultation": 12}            → a `typing` event to `consultation.12` (no DB write)
    → {"type": "ping"}                                  ← {"type": "pong"}
    ← {"type": "event", "event": {...}}                 the bus events of docs/architecture.md

On connect the socket joins `office.<code>` of every visible office and `user.<id>`; a subscription joins
`consultation.<id>` only when the consultation is visible (the same error for missing and forbidden) and replays its
messages after the client's cursor from the database, after joining, so nothing falls between replay and live.
The bus may drop events: the client re-subscribes from its cursor on every reconnect and whenever it sees a gap.
Refusals before accepting (HTTP 403): no logged-in user, an Origin other than this host, no visible office.

An open socket is closed when its login ends: the session logged out, flushed or expired, or the user deactivated
or deleted (4401: `{"type": "error", "code": "session_ended"}` first), and when the user's offices change (4403,
`"access_changed"`; the client reconnects with the offices it now has). `accounts.signals` tells the socket at
once through `user.<id>`; a check every CONSOLE_SOCKET_RECHECK_SECONDS (60) catches what no signal announces
(a lost event, a bulk update, a session that expired).
"""

from __future__ import annotations

import time
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from pstdesk.accounts.access import visible_office_codes
from pstdesk.accounts.signals import session_fingerprint
from pstdesk.consultations.access import consultations_for
from pstdesk.consultations.console import queries
from pstdesk.consultations.serializers import message_dict, messages_queryset, user_display
from pstdesk.lib.events import consultation_group, office_group, user_group
from pstdesk.lib.recheck import Recheck
from pstdesk.runtime.hub import DirectDispatch

REPLAY_CHUNK = 200
CLOSE_SESSION_ENDED = 4401
CLOSE_ACCESS_CHANGED = 4403
TYPING_INTERVAL = 2.0  # seconds between two typing events of one socket for one consultation


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def same_origin(scope: dict[str, Any]) -> bool:
    """The console is served by this host only: the Origin's host:port must equal the Host header."""
    origin = _header(scope, b"origin")
    host = _header(scope, b"host")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


def _staff_view(event: dict[str, Any]) -> bool:
    """Whether an event is the staff copy. Actions publish a staff copy to the office group and a public copy
    (no notes, no delivery errors) to the consultation group; a console in both forwards only the staff one."""
    kind = str(event.get("type", ""))
    if kind.startswith("message."):
        return "delivery_error" in (event.get("message") or {})
    if kind.startswith("consultation."):
        return "data" in event
    return True


def login_state(user_id: int, session_key: str | None) -> tuple[str, list[str]]:
    """("ok" | "session_ended", visible office codes) of a socket's login, read from the session store and the
    database now, as Django's auth middleware would for a new request."""
    if not session_key:
        return "session_ended", []
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key)
    if str(session.get(SESSION_KEY, "")) != str(user_id) or not session.get(BACKEND_SESSION_KEY):
        return "session_ended", []
    try:
        backend = load_backend(session[BACKEND_SESSION_KEY])
    except ImportError:
        return "session_ended", []
    user = backend.get_user(user_id)  # None for a deleted or (ModelBackend) inactive user
    if user is None or not user.is_active:
        return "session_ended", []
    verifier = getattr(user, "get_session_auth_hash", None)
    if verifier is not None and not constant_time_compare(str(session.get(HASH_SESSION_KEY, "")), verifier()):
        return "session_ended", []  # the password changed: every other login ends
    return "ok", visible_office_codes(user)


def _as_int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


class ConsoleConsumer(DirectDispatch, AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # Channels: no types
    """One officer's console socket (see the module docstring for the protocol). Its database calls go through
    `database_sync_to_async`, which looks after the connections, so no `close_old_connections` hop runs before
    each frame or event (`runtime.hub.DirectDispatch`)."""

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.offices: list[str] = []
        self.groups_joined: set[str] = set()
        self.subscribed: set[int] = set()
        self.typing_sent: dict[int, float] = {}
        self.watcher: Recheck | None = None
        self.ended = False
        session = self.scope.get("session")
        self.session_key: str | None = getattr(session, "session_key", None)
        if self.user is None or not self.user.is_authenticated or not same_origin(self.scope):
            await self.close()
            return
        self.offices = await database_sync_to_async(visible_office_codes)(self.user)
        if not self.offices:
            await self.close()
            return
        for group in [office_group(code) for code in self.offices] + [user_group(self.user.pk)]:
            await self._join(group)
        await self.accept()
        await self.send_json({"type": "hello", "user": self.user.pk, "offices": self.offices})
        self.watcher = Recheck(float(getattr(settings, "CONSOLE_SOCKET_RECHECK_SECONDS", 60)), self._recheck)
        self.watcher.start()

    async def disconnect(self, code: int) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        for group in list(self.groups_joined):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.clear()

    # --- the login behind the socket ------------------------------------------------------------------------------

    async def _recheck(self) -> bool:
        """Close the socket if its login ended or its offices changed; True while it stays open."""
        if self.ended:
            return False
        state, offices = await database_sync_to_async(login_state)(self.user.pk, self.session_key)
        if state != "ok":
            await self._end("session_ended", _("Sesi Anda berakhir. Masuk lagi."), CLOSE_SESSION_ENDED)
            return False
        if sorted(offices) != sorted(self.offices):
            await self._end("access_changed", _("Akses kantor Anda berubah."), CLOSE_ACCESS_CHANGED)
            return False
        return True

    async def _end(self, code: str, message: str, close_code: int) -> None:
        """Leave every group first (nothing more reaches this socket), then say why and close."""
        if self.ended:
            return
        self.ended = True
        for group in list(self.groups_joined):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.clear()
        self.subscribed.clear()
        self.offices = []
        await self._error(code, message)
        await self.close(code=close_code)

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    # --- from the client ----------------------------------------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.ended:
            return  # closed for an ended login: frames still in flight get nothing
        if not isinstance(content, dict):
            await self._error("bad_request", _("Bingkai tidak dikenal."))
            return
        kind = content.get("type")
        if kind == "subscribe":
            await self._subscribe(content)
        elif kind == "unsubscribe":
            await self._unsubscribe(content)
        elif kind == "typing":
            await self._typing(content)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self._error("bad_request", _("Bingkai tidak dikenal."))

    async def _error(self, code: str, message: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, **extra})

    async def _not_found(self, consultation: Any) -> None:
        await self._error("not_found", _("Konsultasi tidak ditemukan."), consultation=consultation)

    async def _subscribe(self, content: dict[str, Any]) -> None:
        if not await self._recheck():  # a subscription reads history: the login must still hold
            return
        pk = _as_int(content.get("consultation"))
        after = _as_int(content.get("after", 0))
        if pk is None:
            await self._not_found(content.get("consultation"))
            return
        if after is None:
            await self._error("bad_request", _("Kursor tidak sah."), consultation=pk)
            return
        if not await database_sync_to_async(self._visible)(pk):
            await self._not_found(pk)
            return
        # Join first, then read: a message committed in between arrives twice (the client keys by seq), never
        # zero times.
        await self._join(consultation_group(pk))
        self.subscribed.add(pk)
        messages, state = await database_sync_to_async(self._replay)(pk, after)
        if not messages:
            await self.send_json(
                {"type": "replay", "consultation": pk, "after": after, "messages": [], "state": state, "done": True}
            )
        for start in range(0, len(messages), REPLAY_CHUNK):
            chunk = messages[start : start + REPLAY_CHUNK]
            await self.send_json(
                {
                    "type": "replay",
                    "consultation": pk,
                    "after": after,
                    "messages": chunk,
                    "state": state,
                    "done": start + REPLAY_CHUNK >= len(messages),
                }
            )

    async def _unsubscribe(self, content: dict[str, Any]) -> None:
        pk = _as_int(content.get("consultation"))
        if pk is not None and pk in self.subscribed:
            self.subscribed.discard(pk)
            group = consultation_group(pk)
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups_joined.discard(group)

    async def _typing(self, content: dict[str, Any]) -> None:
        pk = _as_int(content.get("consultation"))
        if pk is None or pk not in self.subscribed:
            await self._not_found(content.get("consultation"))
            return
        now = time.monotonic()
        if now - self.typing_sent.get(pk, 0.0) < TYPING_INTERVAL:
            return
        self.typing_sent[pk] = now
        await self.channel_layer.group_send(
            consultation_group(pk),
            {
                "type": "desk.event",
                "event": {
                    "type": "typing",
                    "consultation": pk,
                    "side": "staff",
                    "on": True,
                    "user": {"id": self.user.pk, "name": user_display(self.user)},
                },
            },
        )

    # --- database (sync) ----------------------------------------------------------------------------------------

    def _visible(self, pk: int) -> bool:
        return consultations_for(self.user).filter(pk=pk).exists()

    def _replay(self, pk: int, after: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        consultation = consultations_for(self.user).select_related("office", "visitor", "assigned_to").get(pk=pk)
        rows = messages_queryset().filter(consultation_id=pk, seq__gt=after).order_by("seq")
        messages = [message_dict(m, for_staff=True) for m in rows]
        return [m for m in messages if m is not None], queries.state_dict(consultation)

    # --- from the bus -------------------------------------------------------------------------------------------

    async def desk_event(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if not isinstance(event, dict) or not self.offices:
            return
        if event.get("type") == "auth.changed":
            if event.get("user") != self.user.pk:
                return
            if event.get("session") and event.get("session") == session_fingerprint(self.session_key):
                await self._end("session_ended", _("Sesi Anda berakhir. Masuk lagi."), CLOSE_SESSION_ENDED)
            else:
                await self._recheck()
            return
        office = event.get("office")
        if office is not None and office not in self.offices:
            return  # defence in depth: never forward another office's event
        consultation = event.get("consultation")
        if event.get("type") == "typing":
            if consultation in self.subscribed:
                await self.send_json({"type": "event", "event": event})
            return
        if not _staff_view(event):
            return
        await self.send_json({"type": "event", "event": event})
