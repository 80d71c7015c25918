"""Signature check and webhook parsing: pure functions, no database, no network.

A POST from Meta can batch several entries, changes, messages and statuses; `parse_webhook` returns every item.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MEDIA_TYPES = {"image", "document", "audio", "video", "sticker"}
STATUS_ORDER = {"sent": 1, "delivered": 2, "read": 3, "played": 3, "failed": 9}


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """`X-Hub-Signature-256: sha256=<hex>` is HMAC-SHA256 of the raw body with the app secret (constant time)."""
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[7:].strip().lower())


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _when(raw: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@dataclass(frozen=True)
class MediaRef:
    media_id: str
    mime_type: str
    filename: str = ""
    sha256: str = ""
    url: str = ""


@dataclass(frozen=True)
class ParsedMessage:
    """An inbound message, flattened; `reply_id` is the id of a pressed button or chosen list row."""

    phone_number_id: str
    wamid: str
    type: str
    body: str
    wa_id: str = ""
    user_id: str = ""
    name: str = ""
    sent_at: datetime | None = None
    reply_id: str = ""
    context_id: str = ""
    media: MediaRef | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedStatus:
    phone_number_id: str
    wamid: str
    status: str
    timestamp: datetime | None = None
    recipient_id: str = ""
    callback_data: str = ""
    errors: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ParsedError:
    """A change-level `errors[]` (Meta could not deliver something to us); recorded, nothing else."""

    phone_number_id: str
    errors: tuple[dict[str, Any], ...]


Item = ParsedMessage | ParsedStatus | ParsedError


def _contact_for(message: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    sender = str(message.get("from") or "")
    user_id = str(message.get("from_user_id") or "")
    for contact in contacts:
        if sender and contact.get("wa_id") == sender:
            return contact
        if (user_id or sender) and contact.get("user_id") in {user_id, sender}:
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def _describe(message: dict[str, Any]) -> tuple[str, str, MediaRef | None]:
    """(body, reply_id, media) of one inbound message, whatever its type."""
    kind = str(message.get("type") or "unknown")
    found = message.get(kind)
    content: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind == "text":
        return str(content.get("body", "")), "", None
    if kind == "interactive":
        sub = str(content.get("type", ""))
        chosen = content.get(sub)
        reply: dict[str, Any] = chosen if isinstance(chosen, dict) else {}
        if sub in {"button_reply", "list_reply"}:
            return str(reply.get("title", "")), str(reply.get("id", "")), None
        if sub == "nfm_reply":
            return str(reply.get("body") or "[formulir]"), str(reply.get("name", "")), None
        return f"[{sub}]", "", None
    if kind == "button":
        return str(content.get("text", "")), str(content.get("payload", "")), None
    if kind in MEDIA_TYPES:
        media = MediaRef(
            media_id=str(content.get("id", "")),
            mime_type=str(content.get("mime_type", "application/octet-stream")).split(";")[0].strip(),
            filename=str(content.get("filename", "")),
            sha256=str(content.get("sha256", "")),
            url=str(content.get("url", "")),
        )
        return str(content.get("caption", "")), "", media
    if kind == "reaction":
        return str(content.get("emoji", "")), "", None
    if kind == "location":
        place = " ".join(str(content.get(k, "")) for k in ("name", "address") if content.get(k))
        lat, lng = content.get("latitude"), content.get("longitude")
        return f"📍 {place} https://maps.google.com/?q={lat},{lng}".replace("  ", " "), "", None
    if kind == "contacts":
        people = message.get("contacts") or []
        lines = []
        for person in people:
            name = (person.get("name") or {}).get("formatted_name", "")
            phones = ", ".join(p.get("phone", "") for p in person.get("phones") or [])
            lines.append(f"👤 {name} {phones}".strip())
        return "\n".join(lines), "", None
    if kind == "system":
        return str(content.get("body", "")), "", None
    if kind == "order":
        items = content.get("product_items") or []
        return f"[pesanan: {len(items)} item]", "", None
    errors = message.get("errors") or []
    title = errors[0].get("title", "") if errors else ""
    return f"[{kind}] {title}".strip(), "", None


def parse_webhook(payload: Any) -> list[Item]:
    """Every message, status and error of a webhook POST, in the order Meta put them."""
    items: list[Item] = []
    if not isinstance(payload, dict):
        return items
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            if not isinstance(value, dict):
                continue
            pnid = str((value.get("metadata") or {}).get("phone_number_id") or "")
            contacts = [c for c in value.get("contacts") or [] if isinstance(c, dict)]
            for message in value.get("messages") or []:
                if not isinstance(message, dict) or not message.get("id"):
                    continue
                contact = _contact_for(message, contacts)
                body, reply_id, media = _describe(message)
                wa_id = str(
                    contact.get("wa_id") or (message.get("from") if not message.get("from_user_id") else "") or ""
                )
                if wa_id.startswith("US."):
                    wa_id = ""
                items.append(
                    ParsedMessage(
                        phone_number_id=pnid,
                        wamid=str(message["id"]),
                        type=str(message.get("type") or "unknown"),
                        body=body,
                        wa_id=wa_id,
                        user_id=str(contact.get("user_id") or message.get("from_user_id") or ""),
                        name=str((contact.get("profile") or {}).get("name", "")),
                        sent_at=_when(message.get("timestamp")),
                        reply_id=reply_id,
                        context_id=str((message.get("context") or {}).get("id", "")),
                        media=media,
                        raw=message,
                    )
                )
            for status in value.get("statuses") or []:
                if not isinstance(status, dict) or not status.get("id") or not status.get("status"):
                    continue
                items.append(
                    ParsedStatus(
                        phone_number_id=pnid,
                        wamid=str(status["id"]),
                        status=str(status["status"]),
                        timestamp=_when(status.get("timestamp")),
                        recipient_id=str(status.get("recipient_id") or status.get("recipient_user_id") or ""),
                        callback_data=str(status.get("biz_opaque_callback_data") or ""),
                        errors=tuple(status.get("errors") or ()),
                    )
                )
            if value.get("errors"):
                items.append(ParsedError(phone_number_id=pnid, errors=tuple(value["errors"])))
    return items


def error_text(errors: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> str:
    """Meta's errors as the officer sees them: "131047: Re-engagement message (details)"."""
    parts = []
    for error in errors:
        details = (error.get("error_data") or {}).get("details", "")
        text = f"{error.get('code', '')}: {error.get('title') or error.get('message', '')}"
        parts.append(f"{text} ({details})" if details else text)
    return "; ".join(parts)
