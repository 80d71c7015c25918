"""Signature check and webhook parsing: pure functions, no database, no network.

A POST from Meta can batch several entries, changes, messages and statuses; `parse_webhook` returns every item.
"""

from __future__ import annotations

import hashlib
import hmac
import re
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


class Invalid(ValueError):
    """An item (or a part of the envelope) that cannot be used; the message is the reason recorded on the delivery."""


@dataclass(frozen=True)
class ParsedInvalid:
    """A malformed item, skipped: where it was in the POST, why it was refused, and its wamid when one was readable.
    The rest of the POST is processed as usual (one bad item never blocks the valid ones beside it)."""

    phone_number_id: str
    where: str
    reason: str
    ident: str = ""


AnyItem = Item | ParsedInvalid

# Limits of the columns the values end in (Message.external_id, StatusEvent, Visitor): a longer value is refused
# here, never by the database in the middle of the batch.
MAX_ID = 255
MAX_USER_ID = 64
MAX_NAME = 200
MAX_CALLBACK = 512
# A WhatsApp id is the sender's phone number without "+" (Visitor.whatsapp keeps "+" and at most 19 digits).
WA_ID = re.compile(r"\d{5,19}")
WORD = re.compile(r"[a-z][a-z_]{0,39}")


def _clean(value: Any) -> Any:
    """The value with NUL characters removed from every string (PostgreSQL refuses them in text and jsonb)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(str(k)): _clean(v) for k, v in value.items()}
    return value


def _text(value: Any, what: str, *, limit: int | None = None) -> str:
    """An optional text field: absent or null is "", a string or a number is taken; anything else is refused."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"{what} is not a string")
    text = str(value).replace("\x00", "")
    return text[:limit] if limit is not None else text


def _id(value: Any, what: str) -> str:
    """A required identifier (wamid): a non-empty string (or number) that fits the column."""
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise Invalid(f"{what} missing or not a string")
    text = str(value).strip()
    if len(text) > MAX_ID or "\x00" in text:
        raise Invalid(f"{what} longer than {MAX_ID} characters or not printable")
    return text


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{what} is not an object")
    return value


def _opt_obj(value: Any, what: str) -> dict[str, Any]:
    return {} if value is None else _obj(value, what)


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"{what} is not a list")
    return value


def _timestamp(value: Any, what: str) -> datetime | None:
    """Meta's Unix seconds (a string of digits); absent is unknown, anything else is refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip().isdigit():
        raise Invalid(f"{what} is not a Unix timestamp")
    when = _when(str(value).strip())
    if when is None:
        raise Invalid(f"{what} is out of range")
    return when


def _errors(value: Any, what: str) -> tuple[dict[str, Any], ...]:
    errors = _list(value, what)
    if not all(isinstance(e, dict) for e in errors):
        raise Invalid(f"{what} holds something other than objects")
    return tuple(_clean(e) for e in errors)


def _contact_for(message: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    sender = message.get("from")
    user_id = message.get("from_user_id")
    sender = sender if isinstance(sender, str) else ""
    user_id = user_id if isinstance(user_id, str) else ""
    for contact in contacts:
        if sender and contact.get("wa_id") == sender:
            return contact
        contact_user = contact.get("user_id")
        if (user_id or sender) and isinstance(contact_user, str) and contact_user in (user_id, sender):
            return contact
    # A lone contact without any id is the sender's (Meta sends one contact per message); a contact naming someone
    # else never lends its name or ids to this message.
    if len(contacts) == 1 and not contacts[0].get("wa_id") and not contacts[0].get("user_id"):
        return contacts[0]
    return {}


def _describe(message: dict[str, Any], kind: str) -> tuple[str, str, MediaRef | None]:
    """(body, reply_id, media) of one inbound message, whatever its type; `Invalid` when the content of a known
    type does not have the shape Meta documents (an unknown type is kept as "[type]")."""
    found = message.get(kind)
    if kind == "text":
        content = _obj(found, "text")
        body = content.get("body")
        if not isinstance(body, str):
            raise Invalid("text.body missing or not a string")
        return _text(body, "text.body"), "", None
    if kind == "interactive":
        content = _obj(found, "interactive")
        sub = _text(content.get("type"), "interactive.type")
        if sub in {"button_reply", "list_reply"}:
            reply = _obj(content.get(sub), f"interactive.{sub}")
            return (
                _text(reply.get("title"), f"{sub}.title"),
                _text(reply.get("id"), f"{sub}.id", limit=MAX_ID),
                None,
            )
        if sub == "nfm_reply":
            reply = _obj(content.get(sub), "interactive.nfm_reply")
            return _text(reply.get("body"), "nfm_reply.body") or "[formulir]", _text(reply.get("name"), "name"), None
        return f"[{sub or 'interactive'}]", "", None
    if kind == "button":
        content = _obj(found, "button")
        return _text(content.get("text"), "button.text"), _text(content.get("payload"), "button.payload"), None
    if kind in MEDIA_TYPES:
        content = _obj(found, kind)
        mime = _text(content.get("mime_type"), f"{kind}.mime_type") or "application/octet-stream"
        media = MediaRef(
            media_id=_id(content.get("id"), f"{kind}.id"),
            mime_type=mime.split(";")[0].strip()[:100],
            filename=_text(content.get("filename"), f"{kind}.filename", limit=MAX_NAME),
            sha256=_text(content.get("sha256"), f"{kind}.sha256", limit=100),
            url=_text(content.get("url"), f"{kind}.url", limit=2000),
        )
        return _text(content.get("caption"), f"{kind}.caption"), "", media
    if kind == "reaction":
        return _text(_obj(found, "reaction").get("emoji"), "reaction.emoji", limit=40), "", None
    if kind == "location":
        content = _obj(found, "location")
        lat, lng = content.get("latitude"), content.get("longitude")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lng)):
            raise Invalid("location.latitude/longitude are not numbers")
        texts = [_text(content.get(k), f"location.{k}", limit=MAX_NAME) for k in ("name", "address")]
        place = " ".join(t for t in texts if t)
        return f"📍 {place} https://maps.google.com/?q={lat},{lng}".replace("  ", " "), "", None
    if kind == "contacts":
        lines = []
        for person in _list(message.get("contacts"), "contacts"):
            person = _obj(person, "contacts[]")
            name = _text(_opt_obj(person.get("name"), "contacts[].name").get("formatted_name"), "formatted_name")
            phones = ", ".join(
                _text(_obj(p, "contacts[].phones[]").get("phone"), "phone")
                for p in _list(person.get("phones"), "contacts[].phones")
            )
            lines.append(f"👤 {name} {phones}".strip())
        return "\n".join(lines), "", None
    if kind == "system":
        return _text(_opt_obj(found, "system").get("body"), "system.body"), "", None
    if kind == "order":
        items = _list(_opt_obj(found, "order").get("product_items"), "order.product_items")
        return f"[pesanan: {len(items)} item]", "", None
    errors = _errors(message.get("errors"), "errors")
    title = _text(errors[0].get("title"), "errors[].title", limit=MAX_NAME) if errors else ""
    return f"[{kind}] {title}".strip(), "", None


def _sender(message: dict[str, Any], contact: dict[str, Any]) -> tuple[str, str]:
    """(wa_id, business-scoped user id) of a message's sender; `Invalid` when there is neither."""
    sender = _text(message.get("from"), "from", limit=MAX_ID)
    if not sender and not message.get("from_user_id"):
        raise Invalid("no sender (from)")
    user_id = _text(contact.get("user_id"), "contact.user_id") or _text(message.get("from_user_id"), "from_user_id")
    if sender and not WA_ID.fullmatch(sender) and not sender.startswith("US."):
        raise Invalid("from is neither a phone number nor a user id")
    if len(user_id) > MAX_USER_ID:
        raise Invalid(f"user id longer than {MAX_USER_ID} characters")
    wa_id = _text(contact.get("wa_id"), "contact.wa_id")
    if not WA_ID.fullmatch(wa_id):
        wa_id = sender if not message.get("from_user_id") and WA_ID.fullmatch(sender) else ""
    if not wa_id and not user_id and sender.startswith("US.") and len(sender) <= MAX_USER_ID:
        user_id = sender
    if not wa_id and not user_id:
        raise Invalid("no sender (from)")
    return wa_id, user_id


def _message(pnid: str, message: Any, contacts: list[dict[str, Any]]) -> ParsedMessage:
    message = _obj(message, "message")
    wamid = _id(message.get("id"), "id")
    kind = message.get("type")
    if not isinstance(kind, str) or not WORD.fullmatch(kind):
        raise Invalid("type missing or not a word")
    contact = _contact_for(message, contacts)
    wa_id, user_id = _sender(message, contact)
    body, reply_id, media = _describe(message, kind)
    context = _opt_obj(message.get("context"), "context")
    profile = contact.get("profile")
    name = profile.get("name") if isinstance(profile, dict) else None
    return ParsedMessage(
        phone_number_id=pnid,
        wamid=wamid,
        type=kind,
        body=body,
        wa_id=wa_id,
        user_id=user_id,
        name=name.replace("\x00", "")[:MAX_NAME] if isinstance(name, str) else "",
        sent_at=_timestamp(message.get("timestamp"), "timestamp"),
        reply_id=reply_id,
        context_id=_text(context.get("id"), "context.id", limit=MAX_ID),
        media=media,
        raw=_clean(message),
    )


def _status(pnid: str, status: Any) -> ParsedStatus:
    status = _obj(status, "status")
    wamid = _id(status.get("id"), "id")
    value = status.get("status")
    if not isinstance(value, str) or not WORD.fullmatch(value) or len(value) > 20:
        raise Invalid("status missing or not a word")
    recipient = status.get("recipient_id") or status.get("recipient_user_id")
    return ParsedStatus(
        phone_number_id=pnid,
        wamid=wamid,
        status=value,
        timestamp=_timestamp(status.get("timestamp"), "timestamp"),
        recipient_id=_text(recipient, "recipient_id", limit=MAX_USER_ID),
        callback_data=_text(status.get("biz_opaque_callback_data"), "biz_opaque_callback_data", limit=MAX_CALLBACK),
        errors=_errors(status.get("errors"), "errors"),
    )


def _ident(item: Any) -> str:
    """The wamid of a refused item when it has a readable one (for the record)."""
    wamid = item.get("id") if isinstance(item, dict) else None
    return wamid.replace("\x00", "")[:MAX_ID] if isinstance(wamid, str) else ""


def _change(where: str, change: Any) -> list[AnyItem]:
    """Every item of one `changes[]` element; a malformed item becomes a `ParsedInvalid` in its place."""
    try:
        value = _obj(_obj(change, "change").get("value"), "value")
        metadata = _obj(value.get("metadata"), "metadata")
        pnid = _id(metadata.get("phone_number_id"), "metadata.phone_number_id")
    except Invalid as exc:
        return [ParsedInvalid("", where, str(exc))]
    items: list[AnyItem] = []
    raw_contacts = value.get("contacts")
    contacts = [c for c in raw_contacts if isinstance(c, dict)] if isinstance(raw_contacts, list) else []
    for key in ("messages", "statuses"):
        try:
            found = _list(value.get(key), key)
        except Invalid as exc:
            items.append(ParsedInvalid(pnid, f"{where}.value.{key}", str(exc)))
            continue
        for index, raw in enumerate(found):
            try:
                items.append(_message(pnid, raw, contacts) if key == "messages" else _status(pnid, raw))
            except (Invalid, RecursionError) as exc:
                reason = str(exc) if isinstance(exc, Invalid) else "nested too deeply"
                items.append(ParsedInvalid(pnid, f"{where}.value.{key}[{index}]", reason, _ident(raw)))
    if value.get("errors"):
        try:
            items.append(ParsedError(phone_number_id=pnid, errors=_errors(value["errors"], "errors")))
        except Invalid as exc:
            items.append(ParsedInvalid(pnid, f"{where}.value.errors", str(exc)))
    return items


def parse_webhook(payload: Any) -> list[AnyItem]:
    """Every message, status and error of a webhook POST, in the order Meta put them; each malformed item (or
    malformed part of the envelope) as a `ParsedInvalid` with its reason, in its place."""
    if not isinstance(payload, dict):
        return [ParsedInvalid("", "body", "not a JSON object")]
    try:
        entries = _list(payload.get("entry"), "entry")
    except Invalid as exc:
        return [ParsedInvalid("", "entry", str(exc))]
    items: list[AnyItem] = []
    for e, entry in enumerate(entries):
        try:
            changes = _list(_obj(entry, "entry").get("changes"), "changes")
        except Invalid as exc:
            items.append(ParsedInvalid("", f"entry[{e}]", str(exc)))
            continue
        for c, change in enumerate(changes):
            items.extend(_change(f"entry[{e}].changes[{c}]", change))
    return items


def error_text(errors: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> str:
    """Meta's errors as the officer sees them: "131047: Re-engagement message (details)"."""
    parts = []
    for error in errors:
        data = error.get("error_data")
        details = data.get("details", "") if isinstance(data, dict) else ""
        text = f"{error.get('code', '')}: {error.get('title') or error.get('message', '')}"
        parts.append(f"{text} ({details})" if details else text)
    return "; ".join(parts)
