"""Intake in two steps, both safe to repeat after a crash at any point.

1. `store_raw` keeps the raw bytes (`InboundEmail`) and advances `MailboxState.last_uid` in ONE transaction: a
   crash before the commit leaves neither, so the message is fetched again; a crash after leaves both, so it is
   not. The unique (mailbox, dedupe_key) makes a re-fetch, a rescan or a second `email ingest` a no-op.
2. `process_stored` turns a stored row into a consultation message (`consultations.actions.receive_message`,
   idempotent on the Message-ID), a bounce note, or an intake error, in one transaction per message; a crash
   leaves the row `stored` and the next cycle processes it again. A message that fails repeatedly is marked
   `failed` with its reason: kept, listed for officers, never blocking the ones after it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email import policy as email_policy
from email.parser import BytesHeaderParser
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.channels.base import InboundMessage, Sender
from pstdesk.channels.email.actions import mark_address_failing, mark_introduction_given
from pstdesk.channels.email.introduction import introduction_required, introduction_satisfied
from pstdesk.channels.email.models import InboundEmail, Intake, Mailbox, MailboxState, OutboundEmail
from pstdesk.channels.email.parsing import ParsedEmail, UnreadableEmail, message_ids, parse_email, raw_hash
from pstdesk.channels.email.rating_reply import rating_reply_for, record_rating_reply
from pstdesk.channels.email.threading import find_thread, read_bounce_address
from pstdesk.consultations.actions import (
    add_note,
    post_automatic_message,
    receive_message,
    refresh_requirements,
    update_delivery_status,
)
from pstdesk.consultations.models import Message
from pstdesk.guestbook.requirements import GUESTBOOK_ITEMS, requirements_message
from pstdesk.lib.actors import ChannelActor
from pstdesk.lib.signing import guestbook_url

log = logging.getLogger(__name__)

CHANNEL = "email"
BY = ChannelActor("email")
MAX_ATTEMPTS = 5


# --- step 1: store ------------------------------------------------------------------------------------------------


def dedupe_key(raw: bytes) -> tuple[str, str]:
    """(key, message_id) from the headers alone: the Message-ID, else a hash of the raw bytes."""
    try:
        headers = BytesHeaderParser(policy=email_policy.compat32).parsebytes(raw[:256_000])
        value = headers.get("Message-ID") or ""
    except Exception:  # unreadable headers: the hash still identifies the bytes
        value = ""
    ids = message_ids(str(value))
    message_id = ids[0][:255] if ids else ""
    return (message_id or raw_hash(raw)), message_id


def _advance_state(state: MailboxState, uid: int) -> None:
    if uid > state.last_uid:
        state.last_uid = uid
        state.save(update_fields=["last_uid"])


@dataclass(frozen=True)
class Stored:
    email: InboundEmail
    created: bool


def store_raw(
    mailbox: Mailbox,
    raw: bytes,
    *,
    source: str = "imap",
    state: MailboxState | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
) -> Stored:
    """Keep one raw message (once per dedupe key) and, for IMAP, move the folder's cursor past it, atomically."""
    key, message_id = dedupe_key(raw)
    with transaction.atomic():
        email, created = InboundEmail.objects.get_or_create(
            mailbox=mailbox,
            dedupe_key=key,
            defaults={
                "message_id": message_id,
                "raw": raw,
                "size": len(raw),
                "source": source,
                "folder": state.folder if state is not None else "",
                "uidvalidity": uidvalidity,
                "uid": uid,
            },
        )
        if state is not None and uid is not None:
            _advance_state(state, uid)
    return Stored(email, created)


# --- step 2: process ------------------------------------------------------------------------------------------------


def _is_own(mailbox: Mailbox, parsed: ParsedEmail) -> bool:
    """Our own mail coming back (a copy in the inbox, a forwarding loop): never a visitor message."""
    if parsed.from_address and Mailbox.objects.filter(external_key__iexact=parsed.from_address).exists():
        return True
    return bool(parsed.message_id) and OutboundEmail.objects.filter(message_id=parsed.message_id).exists()


def _body(parsed: ParsedEmail, *, text: str | None = None) -> str:
    body = (parsed.text if text is None else text) or ""
    limit = settings.MESSAGE_MAX_CHARS
    if len(body) > limit:
        body = body[: limit - 80].rstrip() + "\n\n" + _("[…dipotong; teks lengkap ada pada e-mail asli]")
    return body


def _payload(parsed: ParsedEmail, email: InboundEmail, thread_key: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "subject": parsed.subject,
        "message_id": parsed.message_id,
        "from": parsed.from_address,
        "from_name": parsed.from_name,
        "in_reply_to": list(parsed.in_reply_to[:1]),
        "thread": thread_key,
        "inbound_email": email.pk,
    }
    if parsed.auto_reason:
        data["auto_reason"] = parsed.auto_reason
    if parsed.problems:
        data["problems"] = parsed.problems[:20]
    if parsed.quoted_removed or len(parsed.text) > settings.MESSAGE_MAX_CHARS:
        data["full_text"] = parsed.full_text[:50_000]
    return {"email": data}


def _note(consultation: Any, body: str) -> None:

    add_note(consultation, by=BY, body=body)


def _bounced_outbound(mailbox: Mailbox, parsed: ParsedEmail) -> tuple[OutboundEmail | None, str]:
    """The mail of ours a bounce returns, and how it was recognised: by the signed VERP address it was sent to
    (`verp`), else by our Message-ID in the returned headers or the thread (`message_id`). None: not ours."""

    for address in parsed.recipients:
        outbox_id = read_bounce_address(mailbox, address)
        if outbox_id is not None:
            found = OutboundEmail.objects.filter(outbox_id=outbox_id).select_related("consultation").first()
            if found is not None:
                return found, "verp"
    bounce = parsed.bounce
    ids = [bounce.original_message_id] if bounce and bounce.original_message_id else []
    ids += parsed.thread_ids
    if ids:
        found = OutboundEmail.objects.filter(message_id__in=ids[:50]).select_related("consultation").first()
        if found is not None:
            return found, "message_id"
    return None, ""


def _handle_bounce(mailbox: Mailbox, email: InboundEmail, parsed: ParsedEmail) -> None:
    """A delivery-status notification. Believed only when it returns a mail we sent (its VERP address, or our
    Message-ID — neither is known to a stranger): then a permanent failure marks the address that mail went to as
    failing, the officer of its consultation gets a note, and the outbox row is marked failed. Anything else (a
    forged or unmatched bounce) is kept for the record and changes nothing. Never a visitor message."""

    outbound, matched_by = _bounced_outbound(mailbox, parsed)
    consultation = outbound.consultation if outbound is not None else None
    if consultation is None or consultation.office_id != mailbox.office_id:
        email.status = Intake.BOUNCE
        email.consultation = None
        email.error = _(
            "Pemberitahuan gagal kirim yang tidak cocok dengan e-mail yang kami kirim; disimpan, "
            "tidak mengubah apa pun."
        )
        return
    assert outbound is not None  # a consultation was found through it
    bounce = parsed.bounce
    status = bounce.status if bounce else ""
    reason = f"{status} {bounce.diagnostic}".strip() if bounce else _("pemberitahuan tanpa laporan status")
    failed_address = outbound.to_address.lower()
    permanent = bounce is not None and bounce.permanent
    if permanent:
        visitor = consultation.visitor
        if failed_address in {(visitor.email or "").lower(), (visitor.identity(CHANNEL) or "").lower()}:
            mark_address_failing(visitor, by=BY, reason=reason)
        text = _(
            "E-mail ke %(to)s gagal terkirim secara permanen (%(reason)s). Alamat ditandai bermasalah; "
            "hubungi pengguna layanan lewat saluran lain."
        ) % {"to": failed_address, "reason": reason}
    else:
        text = _("Pemberitahuan pengiriman untuk e-mail ke %(to)s: %(reason)s.") % {
            "to": failed_address,
            "reason": reason,
        }
    _note(consultation, text)
    if permanent:
        try:
            update_delivery_status(Message.objects.get(pk=outbound.outbox_id), status="failed", error=reason[:500])
        except Exception:  # a forward-only status may refuse (e.g. already failed): the note says it all
            log.info("delivery status of %s not updated from bounce", outbound.message_id, exc_info=True)
    email.status = Intake.BOUNCE
    email.consultation = consultation
    email.thread_key = matched_by
    email.error = ""


def _acknowledge(consultation: Any, parsed: ParsedEmail) -> None:
    """The first mail of a new consultation gets one acknowledgement, listing what the standard still needs
    (5101: the introduction). Never for automatic mail (the caller checks)."""

    missing = refresh_requirements(consultation, by=BY)
    lines = [
        _("Terima kasih, e-mail Anda telah kami terima sebagai konsultasi PST#%(id)s di %(office)s.")
        % {"id": consultation.pk, "office": consultation.office.name},
    ]
    link = None
    if any(item in GUESTBOOK_ITEMS for item in missing):
        link = guestbook_url(consultation.visitor, consultation.office, consultation.pk)
    extra = requirements_message(missing, language=consultation.visitor.language or "id", link=link)
    if extra:
        lines.append(extra)
    post_automatic_message(
        consultation,
        body="\n\n".join(lines),
        payload={"acknowledgement": True, "missing": missing},
        by=BY,
    )


def _deliver(mailbox: Mailbox, email: InboundEmail, parsed: ParsedEmail) -> None:

    thread = find_thread(mailbox, parsed)
    if thread.refused:
        parsed.problems.append(thread.refused)
    auto = bool(parsed.auto_reason)
    # A reply to the closing e-mail that gives a score rates the consultation and does not reopen it.
    rating = None if auto else rating_reply_for(mailbox.office_id, thread.consultation_id, parsed.text)
    inbound = InboundMessage(
        channel=CHANNEL,
        office_code=mailbox.office_id,
        external_id=parsed.external_id[:255],
        body=_body(parsed) if rating is None else _body(parsed, text=rating.transcript_text),
        sent_at=parsed.date,
        # The From address is the channel's key for the sender: unproven (headers can be forged).
        sender=Sender(
            kind=CHANNEL, key=parsed.from_address.lower(), display_name=parsed.from_name, email=parsed.from_address
        ),
        consultation_id=thread.consultation_id,
        attachments=tuple(parsed.attachments),
        payload=_payload(parsed, email, thread.key),
        auto_submitted=auto,
        reopens=rating is None,
    )
    received = receive_message(inbound)
    consultation = received.consultation
    email.status = Intake.AUTO if auto else Intake.DELIVERED
    email.consultation = consultation
    email.desk_message = received.message
    email.thread_key = thread.key
    email.error = "; ".join(parsed.problems)[:2000]
    if not received.created or auto:
        return
    if rating is not None:
        record_rating_reply(consultation, rating)
        return
    intro_asked = introduction_required(consultation) and not consultation.introduction_given
    if intro_asked and introduction_satisfied(
        consultation, from_name=parsed.from_name, from_address=parsed.from_address, text=parsed.text
    ):
        mark_introduction_given(consultation, by=BY)
    first = not consultation.messages.filter(direction="in", seq__lt=received.message.seq).exists()
    if first:
        _acknowledge(consultation, parsed)


def process_stored(email: InboundEmail) -> InboundEmail:
    """Process one stored message; never raises (a failure is recorded on the row)."""
    mailbox = email.mailbox
    try:
        with transaction.atomic():
            locked = InboundEmail.objects.select_for_update().get(pk=email.pk)
            if locked.status != Intake.STORED:
                return locked
            raw = bytes(locked.raw)
            try:
                parsed = parse_email(raw)
            except UnreadableEmail as exc:
                locked.status = Intake.FAILED
                locked.error = _("E-mail tidak dapat dibaca: %(reason)s. Isi aslinya disimpan.") % {"reason": exc}
            else:
                locked.sender = parsed.from_address[:320]
                locked.subject = parsed.subject[:500]
                if _is_own(mailbox, parsed):
                    locked.status = Intake.OWN
                elif parsed.bounce is not None or parsed.is_null_sender:
                    _handle_bounce(mailbox, locked, parsed)
                elif not parsed.from_address:
                    locked.status = Intake.FAILED
                    locked.error = _(
                        "Tidak ada alamat pengirim (From) yang dapat dibaca; e-mail disimpan "
                        "tanpa konsultasi. %(problems)s"
                    ) % {"problems": "; ".join(parsed.problems)}
                else:
                    _deliver(mailbox, locked, parsed)
            locked.processed_at = timezone.now()
            locked.attempts += 1
            locked.save()
            return locked
    except Exception as exc:
        log.exception("processing inbound e-mail %s failed", email.pk)
        with transaction.atomic():
            row = InboundEmail.objects.select_for_update().get(pk=email.pk)
            row.attempts += 1
            row.error = _("Pemrosesan gagal (percobaan %(n)d): %(error)s") % {
                "n": row.attempts,
                "error": f"{exc.__class__.__name__}: {exc}"[:500],
            }
            if row.attempts >= MAX_ATTEMPTS:
                row.status = Intake.FAILED
            row.save(update_fields=["attempts", "error", "status"])
            return row


def process_pending(mailbox: Mailbox, *, limit: int = 500) -> int:
    """Process every stored row of the mailbox, oldest first. Returns how many were processed."""
    rows = list(InboundEmail.objects.filter(mailbox=mailbox, status=Intake.STORED).order_by("id").only("pk")[:limit])
    for row in rows:
        row.mailbox = mailbox
        process_stored(row)
    return len(rows)


def ingest(mailbox: Mailbox, raw: bytes, *, source: str = "stdin") -> InboundEmail:
    """One message from outside IMAP (`pstdesk email ingest`): store, then process, the same path as polling."""
    stored = store_raw(mailbox, raw, source=source)
    if stored.email.status == Intake.STORED:
        return process_stored(stored.email)
    return stored.email
