"""A local simulator of Meta's WhatsApp Cloud API (Graph API) and of Meta's webhook sender.

Graph side: `POST /vNN/{pnid}/messages` (send, mark-as-read), `POST /vNN/{pnid}/media`, `GET /vNN/{media-id}`,
the media download (Bearer required), `GET /vNN/{waba-id}/message_templates` (paged). Answers are shaped like
Meta's, with wamids. Webhook side: signed POSTs (X-Hub-Signature-256) of inbound messages and of statuses
(sent, delivered, read), with duplicates, out-of-order and batched statuses and read without delivered; retries
with backoff while the receiver answers non-2xx; a free-form send outside the 24-hour window is accepted and then
fails with 131047 in a `failed` status webhook, like Meta; 130429 / 131056 past the per-number and per-pair limits;
`failure_rate` injects 5xx/429. `/` is a page to play the WhatsApp user.

Pure standard library (threads + http.server) so tests can run it in a thread on a free port.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from pstdesk.channels.whatsapp.parsing import sign

WINDOW_SECONDS = 24 * 3600
PAGE = Path(__file__).parent / "templates" / "channel_whatsapp" / "simulator.html"

DEFAULT_NUMBERS = {
    "105102": {"display": "6285173215102", "waba": "205102", "label": "BPS Kabupaten Tabanan (5102)"},
    "105101": {"display": "6282122115101", "waba": "205101", "label": "BPS Kabupaten Jembrana (5101)"},
}


def default_templates() -> list[dict[str, Any]]:
    """Approved (and some not approved) templates, shaped like `GET /{waba-id}/message_templates` rows."""

    def template(name: str, language: str, text: str, status: str = "APPROVED") -> dict[str, Any]:
        return {
            "id": str(abs(hash((name, language))) % 10**15),
            "name": name,
            "language": language,
            "status": status,
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": text}],
        }

    return [
        template("pst_lanjutan", "id", "Halo {{1}}, petugas PST ingin melanjutkan konsultasi Anda: {{2}}"),
        template("pst_lanjutan", "en_US", "Hello {{1}}, a PST officer would like to continue: {{2}}"),
        template("pst_penilaian", "id", "Terima kasih telah menggunakan layanan PST. Mohon beri penilaian: {{1}}"),
        template("pst_penilaian", "en_US", "Thank you for using the PST service. Please rate us: {{1}}"),
        template("pst_pengingat", "id", "Konsultasi Anda {{1}} menunggu balasan Anda."),
        template("pst_promo", "id", "Rilis data terbaru {{1}}", status="REJECTED"),
        template("pst_baru", "id", "Templat baru {{1}}", status="PENDING"),
    ]


def new_wamid() -> str:
    return "wamid." + base64.b64encode(b"HBgM" + secrets.token_bytes(24)).decode().rstrip("=")


class Transport:
    """How the simulated Meta reaches our webhook: real HTTP by default."""

    def __init__(self, url: str) -> None:
        self.url = url

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        try:
            return httpx.post(self.url, content=body, headers=headers, timeout=10).status_code
        except httpx.HTTPError:
            return 0

    def get(self, params: dict[str, str]) -> tuple[int, str]:
        try:
            response = httpx.get(self.url, params=params, timeout=10)
        except httpx.HTTPError:
            return 0, ""
        return response.status_code, response.text


@dataclass
class Pending:
    payload: dict[str, Any]
    attempts: int = 0
    next_at: float = 0.0
    mergeable: bool = True


@dataclass
class Bubble:
    """One line of a simulated chat, for the user page and for test assertions."""

    direction: str  # "in" (user → business) or "out"
    wamid: str
    type: str
    text: str
    at: float
    payload: dict[str, Any] = field(default_factory=dict)
    statuses: list[str] = field(default_factory=list)
    callback_data: str = ""


class GraphError(Exception):
    def __init__(self, http_status: int, code: int, message: str, details: str = "") -> None:
        super().__init__(message)
        self.http_status, self.code, self.message, self.details = http_status, code, message, details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": "OAuthException",
            "code": self.code,
            "fbtrace_id": secrets.token_urlsafe(9),
        }
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        return {"error": error}


class Simulator:
    """The state of the simulated Meta: numbers, chats, media, templates, limits and the webhook queue."""

    def __init__(
        self,
        *,
        app_secret: str,
        access_token: str,
        verify_token: str = "",
        transport: Any = None,
        numbers: dict[str, dict[str, str]] | None = None,
        failure_rate: float = 0.0,
        chaos: bool = True,
        auto_read: bool = True,
        seed: int | None = None,
        number_rate: int = 80,
        pair_burst: int = 45,
        pair_period: float = 6.0,
        retry_base: float = 1.0,
        max_attempts: int = 12,
        require_verification: bool = False,
    ) -> None:
        self.app_secret = app_secret
        self.access_token = access_token
        self.verify_token = verify_token
        self.transport = transport
        self.numbers = dict(numbers or DEFAULT_NUMBERS)
        self.failure_rate = failure_rate
        self.chaos = chaos
        self.auto_read = auto_read
        self.rng = random.Random(seed)
        self.number_rate = number_rate
        self.pair_burst = pair_burst
        self.pair_period = pair_period
        self.retry_base = retry_base
        self.max_attempts = max_attempts
        self.require_verification = require_verification
        self.verified = False
        self.base_url = ""
        self.lock = threading.RLock()
        self.chats: dict[tuple[str, str], list[Bubble]] = {}
        self.names: dict[str, str] = {}
        self.last_inbound: dict[tuple[str, str], float] = {}
        self.media: dict[str, tuple[bytes, str, str]] = {}
        self.templates = default_templates()
        self.queue: list[Pending] = []
        self.accepted: list[dict[str, Any]] = []  # every send Meta accepted, in order
        self.marked_read: list[str] = []
        self.failures_injected = 0
        self.webhook_attempts = 0
        self.webhooks_delivered = 0
        self.dead_letters: list[Pending] = []
        self._number_window: dict[str, deque[float]] = {}
        self._pair_tokens: dict[tuple[str, str], tuple[float, float]] = {}
        self._by_wamid: dict[str, tuple[tuple[str, str], Bubble]] = {}

    # --- clock and limits ---------------------------------------------------------------------------------------
    def now(self) -> float:
        return time.time()

    def _check_limits(self, pnid: str, to: str) -> None:
        now = self.now()
        window = self._number_window.setdefault(pnid, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.number_rate:
            raise GraphError(429, 130429, "Rate limit hit", "Cloud API message throughput has been reached.")
        tokens, last = self._pair_tokens.get((pnid, to), (float(self.pair_burst), now))
        tokens = min(float(self.pair_burst), tokens + (now - last) / self.pair_period)
        if tokens < 1.0:
            self._pair_tokens[(pnid, to)] = (tokens, now)
            raise GraphError(
                400,
                131056,
                "(Business Account, Consumer Account) pair rate limit hit",
                "Message failed to send because there were too many messages sent from this phone number to the "
                "same phone number in a short period of time.",
            )
        self._pair_tokens[(pnid, to)] = (tokens - 1.0, now)
        window.append(now)

    def in_window(self, pnid: str, user: str) -> bool:
        last = self.last_inbound.get((pnid, user))
        return last is not None and self.now() - last < WINDOW_SECONDS

    def set_last_inbound(self, pnid: str, user: str, when: float) -> None:
        with self.lock:
            self.last_inbound[(pnid, user)] = when

    # --- Graph API ----------------------------------------------------------------------------------------------
    def authorize(self, header: str) -> None:
        if header != f"Bearer {self.access_token}":
            raise GraphError(401, 190, "Error validating access token: The session is invalid.")

    def handle_messages(self, pnid: str, body: dict[str, Any]) -> dict[str, Any]:
        if pnid not in self.numbers:
            raise GraphError(400, 100, f"Unsupported post request. Object with ID '{pnid}' does not exist")
        if body.get("messaging_product") != "whatsapp":
            raise GraphError(400, 100, "(#100) The parameter messaging_product is required.")
        if body.get("status") == "read":
            with self.lock:
                self.marked_read.append(str(body.get("message_id", "")))
            return {"success": True}
        to = str(body.get("recipient") or body.get("to") or "")
        if not to:
            raise GraphError(400, 100, "(#100) The parameter to is required.")
        kind = str(body.get("type", "text"))
        text = self._validate(kind, body)
        with self.lock:
            if self.failure_rate and self.rng.random() < self.failure_rate:
                self.failures_injected += 1
                if self.rng.random() < 0.5:
                    raise GraphError(503, 2, "Service temporarily unavailable")
                raise GraphError(429, 130429, "Rate limit hit", "Injected throughput failure.")
            self._check_limits(pnid, to)
            wamid = new_wamid()
            callback = str(body.get("biz_opaque_callback_data", ""))
            bubble = Bubble("out", wamid, kind, text, self.now(), payload=body, callback_data=callback)
            self.chats.setdefault((pnid, to), []).append(bubble)
            self._by_wamid[wamid] = ((pnid, to), bubble)
            self.accepted.append(
                {
                    "wamid": wamid,
                    "pnid": pnid,
                    "to": to,
                    "type": kind,
                    "text": text,
                    "callback_data": callback,
                    "body": body,
                }
            )
            if kind != "template" and not self.in_window(pnid, to):
                self._enqueue_statuses(pnid, to, wamid, callback, ["failed"])
            else:
                self._enqueue_statuses(
                    pnid, to, wamid, callback, ["sent", "delivered"] + (["read"] if self.auto_read else [])
                )
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }
        if kind == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return answer

    def _validate(self, kind: str, body: dict[str, Any]) -> str:
        content = body.get(kind) or {}
        if kind == "text":
            text = str(content.get("body", ""))
            if not text or len(text) > 4096:
                raise GraphError(400, 100, "(#100) Param text['body'] must be 1 to 4096 characters.")
            return text
        if kind == "interactive":
            action = content.get("action") or {}
            if content.get("type") == "button":
                buttons = action.get("buttons") or []
                if not 1 <= len(buttons) <= 3 or any(len(b["reply"]["title"]) > 20 for b in buttons):
                    raise GraphError(400, 131009, "Parameter value is not valid", "buttons: 1 to 3, title ≤ 20")
            elif content.get("type") == "list":
                rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
                if not 1 <= len(rows) <= 10 or any(len(r["title"]) > 24 for r in rows):
                    raise GraphError(400, 131009, "Parameter value is not valid", "rows: 1 to 10, title ≤ 24")
            return str((content.get("body") or {}).get("text", ""))
        if kind == "template":
            name, language = content.get("name"), (content.get("language") or {}).get("code")
            for template in self.templates:
                if template["name"] == name and template["language"] == language:
                    if template["status"] != "APPROVED":
                        raise GraphError(400, 132015, "Template is paused or not approved")
                    params = [
                        p.get("text", "")
                        for c in content.get("components") or []
                        if c.get("type") == "body"
                        for p in c.get("parameters") or []
                    ]
                    text = template["components"][0]["text"]
                    expected = len({part.split("}}")[0] for part in text.split("{{")[1:]})
                    if len(params) != expected:
                        raise GraphError(400, 132000, "Number of parameters does not match the expected number")
                    for index, value in enumerate(params, start=1):
                        text = text.replace("{{" + str(index) + "}}", value)
                    return str(text)
            raise GraphError(404, 132001, "Template name does not exist in the translation")
        if kind in {"image", "document", "audio", "video", "sticker"}:
            if not (content.get("id") in self.media or content.get("link")):
                raise GraphError(400, 131053, "Media upload error")
            return str(content.get("caption") or f"[{kind}]")
        raise GraphError(400, 131051, "Unsupported message type")

    def handle_upload(self, pnid: str, content_type: str, raw: bytes) -> dict[str, Any]:
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
        file_part, mime = None, "application/octet-stream"
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "file":
                file_part = part
            elif name == "type":
                mime = part.get_content().strip()
        if file_part is None:
            raise GraphError(400, 100, "(#100) The parameter file is required.")
        payload = file_part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        return {"id": self.add_media(data, mime, file_part.get_filename() or "file")}

    def add_media(self, content: bytes, mime: str, filename: str = "") -> str:
        media_id = str(self.rng.randrange(10**14, 10**15))
        with self.lock:
            self.media[media_id] = (content, mime, filename)
        return media_id

    def media_info(self, media_id: str) -> dict[str, Any]:
        if media_id not in self.media:
            raise GraphError(400, 100, f"Unsupported get request. Object with ID '{media_id}' does not exist")
        content, mime, _ = self.media[media_id]
        return {
            "messaging_product": "whatsapp",
            "url": f"{self.base_url}/media/{media_id}?ext={int(self.now())}",
            "mime_type": mime,
            "sha256": base64.b64encode(hashlib.sha256(content).digest()).decode(),
            "file_size": len(content),
            "id": media_id,
        }

    def template_page(self, waba: str, query: dict[str, list[str]], version: str = "v25.0") -> dict[str, Any]:
        if waba not in {n["waba"] for n in self.numbers.values()}:
            raise GraphError(400, 100, f"Unsupported get request. Object with ID '{waba}' does not exist")
        limit = max(1, min(int((query.get("limit") or ["25"])[0]), 100))
        start = int(base64.b64decode((query.get("after") or ["MA=="])[0]).decode() or 0)
        rows = self.templates[start : start + limit]
        after = base64.b64encode(str(start + limit).encode()).decode()
        page: dict[str, Any] = {"data": rows, "paging": {"cursors": {"before": "MA==", "after": after}}}
        if start + limit < len(self.templates):
            page["paging"]["next"] = f"{self.base_url}/{version}/{waba}/message_templates?" + urlencode(
                {"limit": limit, "after": after}
            )
        return page

    # --- webhooks -----------------------------------------------------------------------------------------------
    def _envelope(self, pnid: str, value: dict[str, Any]) -> dict[str, Any]:
        number = self.numbers[pnid]
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": number["waba"],
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": number["display"], "phone_number_id": pnid},
                                **value,
                            },
                        }
                    ],
                }
            ],
        }

    def _status(self, wamid: str, status: str, to: str, callback: str) -> dict[str, Any]:
        row: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(int(self.now())), "recipient_id": to}
        if callback:
            row["biz_opaque_callback_data"] = callback
        if status in {"sent", "delivered"}:
            row["pricing"] = {
                "billable": False,
                "pricing_model": "PMP",
                "category": "service",
                "type": "free_customer_service",
            }
        if status == "failed":
            row["errors"] = [
                {
                    "code": 131047,
                    "title": "Re-engagement message",
                    "message": "Re-engagement message",
                    "error_data": {
                        "details": "Message failed to send because more than 24 hours have "
                        "passed since the customer last replied to this number."
                    },
                    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                }
            ]
        return row

    def _enqueue_statuses(self, pnid: str, to: str, wamid: str, callback: str, statuses: list[str]) -> None:
        if self.chaos and "read" in statuses and "delivered" in statuses and self.rng.random() < 0.25:
            statuses.remove("delivered")  # read without delivered
        rows = [self._status(wamid, s, to, callback) for s in statuses]
        if self.chaos:
            self.rng.shuffle(rows)  # out of order
            if self.rng.random() < 0.3:
                rows.append(dict(self.rng.choice(rows)))  # a duplicate
        if self.chaos and len(rows) > 1 and self.rng.random() < 0.5:
            self.queue.append(Pending(self._envelope(pnid, {"statuses": rows})))  # batched in one change
        else:
            for row in rows:
                self.queue.append(Pending(self._envelope(pnid, {"statuses": [row]})))
        bubble = self._by_wamid.get(wamid)
        if bubble:
            bubble[1].statuses.extend(s for s in statuses if s not in bubble[1].statuses)

    def mark_seen(self, pnid: str, user: str) -> None:
        """The user looked at the chat (the page polled it): outbound messages not yet read become read."""
        with self.lock:
            for bubble in self.chats.get((pnid, user), []):
                if bubble.direction == "out" and "read" not in bubble.statuses and "failed" not in bubble.statuses:
                    self._enqueue_statuses(pnid, user, bubble.wamid, bubble.callback_data, ["read"])

    def user_sends(
        self, pnid: str, user: str, message: dict[str, Any], *, name: str = "", user_id: str = "", text: str = ""
    ) -> str:
        """The WhatsApp user sends `message` (the type-specific part); returns its wamid."""
        wamid = new_wamid()
        contact: dict[str, Any] = {"profile": {"name": name or self.names.get(user, "Pengguna")}}
        full = {"id": wamid, "timestamp": str(int(self.now())), **message}
        if user.startswith("US."):
            contact["user_id"] = user
            full["from_user_id"] = user
        else:
            contact["wa_id"] = user
            full["from"] = user
            if user_id:
                contact["user_id"] = user_id
        with self.lock:
            if name:
                self.names[user] = name
            self.last_inbound[(pnid, user)] = self.now()
            self.chats.setdefault((pnid, user), []).append(
                Bubble("in", wamid, str(message.get("type")), text, self.now(), payload=message)
            )
            self.queue.append(Pending(self._envelope(pnid, {"contacts": [contact], "messages": [full]})))
        return wamid

    def user_says(self, pnid: str, user: str, text: str, **kwargs: Any) -> str:
        return self.user_sends(pnid, user, {"type": "text", "text": {"body": text}}, text=text, **kwargs)

    def user_chooses(
        self,
        pnid: str,
        user: str,
        reply_id: str,
        title: str = "",
        *,
        kind: str = "button_reply",
        context: str = "",
        **kwargs: Any,
    ) -> str:
        """Press a reply button (`button_reply`), pick a list row (`list_reply`), or a template button (`button`)."""
        if kind == "button":
            message: dict[str, Any] = {"type": "button", "button": {"payload": reply_id, "text": title or reply_id}}
        else:
            message = {
                "type": "interactive",
                "interactive": {"type": kind, kind: {"id": reply_id, "title": title or reply_id}},
            }
        if context:
            message["context"] = {"from": self.numbers[pnid]["display"], "id": context}
        return self.user_sends(pnid, user, message, text=title or reply_id, **kwargs)

    def user_sends_media(
        self,
        pnid: str,
        user: str,
        content: bytes,
        mime: str,
        *,
        kind: str = "document",
        filename: str = "",
        caption: str = "",
        **kwargs: Any,
    ) -> str:
        media_id = self.add_media(content, mime, filename)
        part: dict[str, Any] = {
            "mime_type": mime,
            "sha256": base64.b64encode(hashlib.sha256(content).digest()).decode(),
            "id": media_id,
        }
        if filename:
            part["filename"] = filename
        if caption:
            part["caption"] = caption
        return self.user_sends(pnid, user, {"type": kind, kind: part}, text=caption or f"[{kind}]", **kwargs)

    def verify(self) -> bool:
        """The GET handshake: deliver nothing until our endpoint echoes the challenge."""
        challenge = secrets.token_hex(8)
        status, text = self.transport.get(
            {"hub.mode": "subscribe", "hub.verify_token": self.verify_token, "hub.challenge": challenge}
        )
        self.verified = status == 200 and text == challenge
        return self.verified

    def pump(self, *, drain: bool = True, limit: int = 10_000) -> int:
        """Deliver the webhooks that are due (merging some into one batched POST); with `drain`, loop until none
        are due. Returns how many POSTs were answered 2xx."""
        delivered = 0
        for _ in range(limit):
            if self.require_verification and not self.verified and not self.verify():
                return delivered
            with self.lock:
                now = self.now()
                due = [p for p in self.queue if p.next_at <= now]
                if not due:
                    return delivered
                batch = [due[0]]
                if self.chaos and due[0].mergeable and self.rng.random() < 0.3:
                    batch += [p for p in due[1:4] if p.mergeable]
                for item in batch:
                    self.queue.remove(item)
            payload = {
                "object": "whatsapp_business_account",
                "entry": [e for item in batch for e in item.payload["entry"]],
            }
            body = json.dumps(payload, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(self.app_secret, body)}
            status = self.transport.post(body, headers)
            with self.lock:
                self.webhook_attempts += 1
                if 200 <= status < 300:
                    self.webhooks_delivered += 1
                    delivered += 1
                    continue
                for item in batch:
                    item.attempts += 1
                    item.mergeable = False
                    item.next_at = self.now() + self.retry_base * (2 ** min(item.attempts - 1, 10))
                    if item.attempts >= self.max_attempts:
                        self.dead_letters.append(item)
                    else:
                        self.queue.append(item)
            if not drain:
                return delivered
        return delivered

    # --- page ---------------------------------------------------------------------------------------------------
    def chat(self, pnid: str, user: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "direction": b.direction,
                    "wamid": b.wamid,
                    "type": b.type,
                    "text": b.text,
                    "at": b.at,
                    "statuses": list(b.statuses),
                    "payload": b.payload,
                }
                for b in self.chats.get((pnid, user), [])
            ]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _route(self, method: str) -> None:
        sim = self.server.sim
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        try:
            if method == "GET" and not parts:
                return self._send(200, PAGE.read_bytes(), "text/html; charset=utf-8")
            if parts and parts[0] == "sim":
                return self._sim(method, parts[1:], query)
            if parts and parts[0] == "media" and len(parts) == 2 and method == "GET":
                sim.authorize(self.headers.get("Authorization", ""))
                if parts[1] not in sim.media:
                    raise GraphError(404, 100, "Media not found")
                content, mime, _ = sim.media[parts[1]]
                return self._send(200, content, mime)
            if not parts or not parts[0].startswith("v"):
                raise GraphError(404, 100, "Unknown path")
            sim.authorize(self.headers.get("Authorization", ""))
            rest = parts[1:]
            if method == "POST" and len(rest) == 2 and rest[1] == "messages":
                return self._send(200, sim.handle_messages(rest[0], json.loads(self._body() or b"{}")))
            if method == "POST" and len(rest) == 2 and rest[1] == "media":
                return self._send(200, sim.handle_upload(rest[0], self.headers.get("Content-Type", ""), self._body()))
            if method == "GET" and len(rest) == 2 and rest[1] == "message_templates":
                return self._send(200, sim.template_page(rest[0], query, parts[0]))
            if method == "GET" and len(rest) == 1:
                return self._send(200, sim.media_info(rest[0]))
            raise GraphError(400, 100, "Unsupported request")
        except GraphError as exc:
            self._send(exc.http_status, exc.body())
        except (ValueError, KeyError) as exc:
            self._send(400, GraphError(400, 100, f"Invalid parameter: {exc}").body())

    def _sim(self, method: str, parts: list[str], query: dict[str, list[str]]) -> None:
        sim = self.server.sim
        if method == "GET" and parts == ["numbers"]:
            return self._send(200, sim.numbers)
        if method == "GET" and parts == ["chat"]:
            pnid, user = query["pnid"][0], query["user"][0]
            sim.mark_seen(pnid, user)
            return self._send(200, {"messages": sim.chat(pnid, user), "in_window": sim.in_window(pnid, user)})
        if method == "POST" and parts == ["say"]:
            data = json.loads(self._body() or b"{}")
            pnid, user, name = str(data["pnid"]), str(data["user"]), str(data.get("name", ""))
            if data.get("reply_id"):
                wamid = sim.user_chooses(
                    pnid,
                    user,
                    data["reply_id"],
                    data.get("title", ""),
                    kind=data.get("kind", "button_reply"),
                    context=data.get("context", ""),
                    name=name,
                )
            else:
                wamid = sim.user_says(pnid, user, str(data["text"]), name=name)
            self.server.wake()
            return self._send(200, {"id": wamid})
        raise GraphError(404, 100, "Unknown simulator path")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sim: Simulator, wake: Callable[[], None], verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.sim = sim
        self.wake = wake
        self.verbose = verbose


class RunningSimulator:
    """A simulator served on a port in background threads; `pump_in_background` delivers webhooks by itself."""

    def __init__(
        self,
        sim: Simulator,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        pump_in_background: bool = False,
        verbose: bool = False,
    ) -> None:
        self.sim = sim
        self._event = threading.Event()
        self._stop = threading.Event()
        self.server = _Server((host, port), sim, self._event.set, verbose)
        self.port = self.server.server_address[1]
        sim.base_url = f"http://{host}:{self.port}"
        self._threads = [threading.Thread(target=self.server.serve_forever, daemon=True, name="whatsapp-sim")]
        if pump_in_background:
            self._threads.append(threading.Thread(target=self._pump_loop, daemon=True, name="whatsapp-sim-pump"))
        for thread in self._threads:
            thread.start()

    @property
    def url(self) -> str:
        return self.sim.base_url

    def _pump_loop(self) -> None:
        while not self._stop.is_set():
            self.sim.pump()
            self._event.wait(0.2)
            self._event.clear()

    def stop(self) -> None:
        self._stop.set()
        self._event.set()
        self.server.shutdown()
        self.server.server_close()
