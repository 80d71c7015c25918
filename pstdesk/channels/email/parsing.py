"""Parse one raw RFC 5322 message into what intake needs, without ever raising on bad input.

Everything a malformed message gets wrong becomes a line in `ParsedEmail.problems` (shown to officers), never an
exception: unknown charsets and undecodable bytes are replaced, over-deep MIME nesting is cut, oversized
attachments are refused with their reason. `parse_email` raises `UnreadableEmail` only when not even the headers
can be read; intake then keeps the raw bytes with that reason.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from django.conf import settings

from pstdesk.channels.base import InboundAttachment
from pstdesk.channels.email.quotes import html_to_text, sanitize_html, strip_quoted

MAX_DEPTH = 12  # MIME nesting deeper than this is not walked (a mail bomb or a broken generator)
MAX_PARTS = 200
MAX_ATTACHMENTS = 10
_MSGID = re.compile(r"<([^<>\s]+)>")
_NULL_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
# Control characters (CR, LF, NUL, escapes, the Unicode line separators) never belong in a one-line header value;
# an encoded word can smuggle them in (`=?utf-8?q?Budi=0D=0ABcc:…?=`), so they are replaced after decoding.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# An address we can use as the sender: no whitespace, quotes, brackets or control characters, one "@".
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\\\"\x00-\x1f\x7f]{1,64}@[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")
_LONE_CR = re.compile(rb"\r(?!\n)")
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


class UnreadableEmail(Exception):
    """Not even the headers could be read."""


@dataclass(frozen=True)
class Bounce:
    """A delivery-status notification (RFC 3464): who failed, how, and which of our mails it returns."""

    recipients: tuple[str, ...]
    action: str
    status: str
    diagnostic: str
    original_message_id: str

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")


@dataclass
class ParsedEmail:
    message_id: str  # "<id@host>", or "" when the message has none
    dedupe_key: str  # the Message-ID, else "sha256:<hex of the raw bytes>"
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    return_path: str | None = None  # None: no Return-Path header; "": the null sender <>
    recipients: tuple[str, ...] = ()  # To, Cc, Delivered-To, X-Original-To, Envelope-To (lower-case)
    date: datetime | None = None
    text: str = ""  # the new text, quotes stripped
    full_text: str = ""
    html: str = ""  # sanitised
    quoted_removed: bool = False
    attachments: list[InboundAttachment] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    auto_reason: str = ""
    bounce: Bounce | None = None

    @property
    def external_id(self) -> str:
        return self.message_id or self.dedupe_key

    @property
    def is_null_sender(self) -> bool:
        local = self.from_address.split("@", 1)[0].lower()
        return self.return_path == "" or local in _NULL_SENDERS

    @property
    def thread_ids(self) -> list[str]:
        """Ids this message answers, most recent first: In-Reply-To, then References from the end."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


def message_ids(value: str) -> tuple[str, ...]:
    """All "<…>" ids of a Message-ID / In-Reply-To / References header, normalised to "<id>"."""
    return tuple(f"<{m}>" for m in _MSGID.findall(value or ""))


def raw_hash(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def one_line(text: str) -> str:
    """A header value as one line of text: control characters (CR/LF above all) become spaces, runs collapse."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _valid_text(text: str) -> str:
    """Undecodable bytes (kept as surrogates by the parser) become U+FFFD: the database only takes valid UTF-8."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeError:
        return text.encode("utf-8", "replace").decode("utf-8", "replace")


def _decode_words(value: str, name: str, problems: list[str]) -> str:
    """RFC 2047 encoded words decoded, on one line; an undecodable word is kept as sent (with a problem noted)."""
    value = _FOLD.sub("", value)
    try:
        text = str(make_header(decode_header(value)))
    except Exception as exc:  # unknown charset, broken base64…: the text as sent is still readable
        problems.append(f"header {name} undecodable ({exc.__class__.__name__}), kept as sent")
        text = value
    return one_line(_valid_text(text))


def _header(msg: Message, name: str, problems: list[str]) -> str:
    """A header's decoded text on one line, from its raw value: the structured parser of `policy.default` raises
    on some encoded values (a CR/LF in an encoded display name), and a crash must never cost the message."""
    return _decode_words(_raw_header(msg, name), name, problems)


def _raw_values(msg: Message, name: str) -> list[str]:
    return [str(v) for k, v in (msg.raw_items() if hasattr(msg, "raw_items") else msg.items()) if k.lower() == name]


def _has(msg: Message, name: str) -> bool:
    return bool(_raw_values(msg, name.lower()))


def _raw_header(msg: Message, name: str) -> str:
    """The header's raw text (for id lists: the structured parser of policy.default may reject odd ids)."""
    for key, value in msg.raw_items() if hasattr(msg, "raw_items") else msg.items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(encoded display name, address) of raw address headers; only addresses we can use (see `_ADDRESS`)."""
    unfolded = [_FOLD.sub("", v) for v in values]
    try:
        pairs = getaddresses(unfolded)
    except Exception:  # the address parser refusing a header: nothing usable in it
        return []
    found = []
    for name, addr in pairs:
        addr = addr.strip().lower()
        if _ADDRESS.fullmatch(addr):
            found.append((name, addr))
    return found


def _decode_part(part: Message, problems: list[str]) -> str:
    """The text of a leaf part in any charset; undecodable bytes become U+FFFD, never an error."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, AttributeError, ValueError, KeyError, AssertionError) as exc:
        problems.append(f"charset {part.get_content_charset()!r} unreadable ({exc.__class__.__name__}), replaced")
    payload = part.get_payload(decode=True) or b""
    if isinstance(payload, str):
        return payload
    if not isinstance(payload, bytes):  # decode=True gives bytes for a leaf part; the stubs also allow a Message
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _walk(msg: Message, problems: list[str], depth: int = 0, counter: list[int] | None = None) -> Iterator[Message]:
    """Leaf parts, depth-first, with nesting and part-count limits."""
    counter = counter if counter is not None else [0]
    counter[0] += 1
    if counter[0] > MAX_PARTS:
        if counter[0] == MAX_PARTS + 1:
            problems.append(f"more than {MAX_PARTS} MIME parts: the rest was not read")
        return
    if depth > MAX_DEPTH:
        problems.append(f"MIME nesting deeper than {MAX_DEPTH} levels: the inner parts were not read")
        return
    if msg.is_multipart():
        payload = msg.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):  # the parser only puts messages in a multipart payload
                yield from _walk(sub, problems, depth + 1, counter)
    else:
        yield msg


def _auto_reason(msg: Message, problems: list[str]) -> str:
    auto = _header(msg, "Auto-Submitted", problems).strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(msg, "Precedence", problems).strip().lower()
    if precedence in {"bulk", "list", "junk"}:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if _has(msg, name):
            return f"{name} present"
    if _has(msg, "X-Auto-Response-Suppress"):
        return "X-Auto-Response-Suppress present"
    if _has(msg, "List-Unsubscribe") or _has(msg, "List-Id"):
        return "mailing list (List-Unsubscribe/List-Id)"
    if _has(msg, "X-Loop"):
        return "X-Loop present"
    return ""


def _bounce(msg: Message, problems: list[str]) -> Bounce | None:
    if msg.get_content_type() != "multipart/report":
        return None
    report_type = msg.get_param("report-type")
    if not isinstance(report_type, str) or report_type.lower() != "delivery-status":  # an RFC 2231 tuple: not ours
        return None
    recipients: list[str] = []
    action = status = diagnostic = original = ""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            blocks = part.get_payload()
            if not isinstance(blocks, list):  # some generators: a text payload; parse it as header blocks
                text = blocks if isinstance(blocks, str) else ""
                blocks = [message_from_bytes(b.encode(), policy=policy.default) for b in text.split("\n\n")]
            for block in blocks:
                if not isinstance(block, Message):
                    continue
                rcpt = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
                if rcpt:
                    recipients.append(rcpt.split(";", 1)[-1].strip().strip("<>").lower())
                    action = action or str(block.get("Action") or "").strip().lower()
                    status = status or str(block.get("Status") or "").strip().split(" ")[0]
                    diagnostic = diagnostic or str(block.get("Diagnostic-Code") or "").strip()
        elif ctype in {"message/rfc822", "text/rfc822-headers"} and not original:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                original = next(iter(message_ids(_raw_header(inner[0], "Message-ID"))), "")
            else:
                text = _decode_part(part, problems)
                found = re.search(r"^Message-ID:\s*(<[^>]+>)", text, re.IGNORECASE | re.MULTILINE)
                original = found.group(1) if found else ""
    return Bounce(tuple(recipients), action, status, diagnostic[:500], original)


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw bytes. Raises UnreadableEmail only if there is no message at all."""
    if not raw or not raw.strip():
        raise UnreadableEmail("empty message")
    try:
        msg = message_from_bytes(_header_crs_as_spaces(raw), policy=policy.default)
    except Exception as exc:  # RecursionError on absurd nesting, or a parser bug
        raise UnreadableEmail(f"message cannot be parsed ({exc.__class__.__name__})") from exc
    try:
        return _parse(raw, msg)
    except Exception as exc:  # a parser bug on a strange message: the same every time, so never retried
        raise UnreadableEmail(f"message cannot be parsed ({exc.__class__.__name__}: {exc})"[:300]) from exc


def _header_crs_as_spaces(raw: bytes) -> bytes:
    """A lone CR inside the header block would end a header line early for the parser (losing the rest of a From
    header); in a header it can only be a trick or a broken generator, so it becomes a space. A line of the header
    block that is neither a header nor a continuation (the same trick after a server turned the CR into CRLF) is
    joined to the header before it, instead of ending the headers there."""
    end = raw.find(b"\n\n")
    crlf_end = raw.find(b"\r\n\r\n")
    if crlf_end != -1 and (end == -1 or crlf_end < end):
        end = crlf_end
    head, body = (raw, b"") if end == -1 else (raw[:end], raw[end:])
    lines = _LONE_CR.sub(b" ", head).split(b"\n")
    for index in range(1, len(lines)):
        line = lines[index]
        if line.strip(b"\r") and not line[:1].isspace() and not _HEADER_LINE.match(line):
            lines[index] = b" " + line
    return b"\n".join(lines) + body


def _parse(raw: bytes, msg: Message) -> ParsedEmail:
    problems = [f"header defect: {d.__class__.__name__}" for d in getattr(msg, "defects", [])][:5]

    ids = message_ids(_raw_header(msg, "Message-ID"))
    message_id = ids[0] if ids else ""
    if not message_id:
        problems.append("no Message-ID: deduplicated by a hash of the raw message")
    parsed = ParsedEmail(message_id=message_id, dedupe_key=message_id or raw_hash(raw))
    parsed.in_reply_to = message_ids(_raw_header(msg, "In-Reply-To"))
    parsed.references = message_ids(_raw_header(msg, "References"))
    parsed.subject = " ".join(_header(msg, "Subject", problems).split())[:500]

    # The sender from the raw header: the address is taken as written (an encoded word there is not an address),
    # the display name decoded and put on one line.
    from_raw = _raw_header(msg, "From")
    senders = _addresses([from_raw]) if from_raw else []
    if senders:
        name, parsed.from_address = senders[0]
        parsed.from_name = _decode_words(name, "From", problems).strip('"')[:200]
    else:
        problems.append(f"no usable From address ({one_line(_valid_text(from_raw))[:80]!r})")
    if _has(msg, "Return-Path"):
        return_path = _FOLD.sub("", _raw_header(msg, "Return-Path")).strip()
        parsed.return_path = "" if return_path in {"<>", ""} else parseaddr(return_path)[1].strip().lower()
    rcpt_headers: list[str] = []
    for name_ in ("to", "cc", "delivered-to", "x-original-to", "envelope-to"):
        rcpt_headers.extend(_raw_values(msg, name_))
    parsed.recipients = tuple(dict.fromkeys(a for _, a in _addresses(rcpt_headers)))
    try:
        date_raw = _raw_header(msg, "Date")
        parsed.date = parsedate_to_datetime(date_raw) if date_raw else None
        if parsed.date is not None and parsed.date.tzinfo is None:
            parsed.date = None
    except (TypeError, ValueError, IndexError):
        problems.append("unreadable Date header")

    parsed.auto_reason = _auto_reason(msg, problems)
    try:
        parsed.bounce = _bounce(msg, problems)
    except Exception as exc:  # a report we cannot read is handled as the plain mail it also is
        problems.append(f"delivery report unreadable ({exc.__class__.__name__})")

    limit = settings.ATTACHMENT_MAX_BYTES
    plain: list[str] = []
    html: list[str] = []
    for part in _walk(msg, problems):
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename() or ""
        if disposition != "attachment" and not filename and ctype == "text/plain":
            plain.append(_decode_part(part, problems))
        elif disposition != "attachment" and not filename and ctype == "text/html":
            html.append(_decode_part(part, problems))
        elif ctype.startswith("message/") or ctype == "text/rfc822-headers":
            continue
        else:
            try:
                content = part.get_payload(decode=True) or b""
            except Exception:
                content = b""
                problems.append(f"attachment {filename or ctype} undecodable")
            if not isinstance(content, bytes):
                content = str(content).encode("utf-8", "replace")
            label = filename or ctype
            if len(content) > limit:
                parsed.refused.append(
                    f"attachment {label!r} refused: {len(content)} bytes is over the limit of {limit} bytes"
                )
            elif len(parsed.attachments) >= MAX_ATTACHMENTS:
                parsed.refused.append(f"attachment {label!r} refused: more than {MAX_ATTACHMENTS} attachments")
            elif content:
                parsed.attachments.append(
                    InboundAttachment(filename=(filename or "lampiran")[:200], content_type=ctype, content=content)
                )
    if plain:
        parsed.full_text = "\n\n".join(p.strip() for p in plain if p.strip())
        parsed.text, parsed.quoted_removed = strip_quoted(parsed.full_text)
    if html:
        joined = "\n".join(html)
        parsed.html = sanitize_html(joined)[:200_000]
        if not plain:
            parsed.full_text, _ = html_to_text(joined)
            new_text, dropped = html_to_text(joined, drop_quotes=True)
            new_text, stripped = strip_quoted(new_text or parsed.full_text)
            parsed.text, parsed.quoted_removed = new_text, dropped or stripped
    if parsed.bounce is None and not parsed.text and not parsed.attachments:
        problems.append("no readable text in the message")
    parsed.problems = list(dict.fromkeys(problems + parsed.refused))
    return parsed


def reply_subject(subject: str, consultation_id: int) -> str:
    """`Re: <original> [PST#<id>]`, without piling up Re:/Fwd: prefixes or tags."""
    base = re.sub(r"\[PST#\d+\]", "", subject or "")
    while True:
        stripped = re.sub(r"^\s*(re|aw|fw|fwd|bls|balas|tr)\s*(\[\d+\])?\s*:\s*", "", base, flags=re.IGNORECASE)
        if stripped == base:
            break
        base = stripped
    base = " ".join(base.split()) or "Konsultasi statistik"
    return f"Re: {base} [PST#{consultation_id}]"
