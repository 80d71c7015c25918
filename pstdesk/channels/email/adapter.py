"""Sending outbox rows by e-mail through the office mailbox's SMTP server.

Every mail carries our own Message-ID `<pst.<consultation>.<message>.<random>@<domain>>` (kept across retries
of the same row, and recorded as the outbox row's external_id), In-Reply-To the visitor's latest mail, References
the thread, Reply-To the consultation's signed plus-address, and the subject `Re: <original> [PST#<id>]`, so the
visitor's answer threads by any of the three keys. Automatic mails add `Auto-Submitted: auto-replied` and
`X-Auto-Response-Suppress: All` (RFC 3834, Microsoft), so other robots do not answer them. The envelope sender
is the row's signed VERP address (`threading.bounce_address`), so a bounce names the mail it returns.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pstdesk.channels.base import ChannelError, OutboundMessage, ProviderRef
from pstdesk.channels.email.models import (
    InboundEmail,
    Intake,
    Mailbox,
    OutboundEmail,
    Security,
    validate_account,
)
from pstdesk.channels.email.parsing import reply_subject
from pstdesk.channels.email.rating_reply import rating_request_instructions
from pstdesk.channels.email.threading import bounce_address, reply_address
from pstdesk.consultations.models import Attachment, Consultation, Message
from pstdesk.ratings.links import rating_url

TIMEOUT = 30
MAX_REFERENCES = 20


def new_message_id(mailbox: Mailbox, consultation_id: int, message_id: int) -> str:
    return f"<pst.{consultation_id}.{message_id}.{secrets.token_hex(6)}@{mailbox.domain}>"


def _thread(consultation: Any) -> tuple[str, list[str], str, str]:
    """(In-Reply-To, References, original subject, the visitor's latest address) of a consultation's mail."""
    inbound = list(
        InboundEmail.objects.filter(consultation=consultation, status__in=[Intake.DELIVERED, Intake.AUTO])
        .exclude(message_id="")
        .order_by("id")
        .values_list("message_id", "subject", "sender")
    )
    outbound = list(
        OutboundEmail.objects.filter(consultation=consultation).order_by("id").values_list("message_id", flat=True)
    )
    ids = [mid for mid, _s, _f in inbound] + outbound
    # Chronological by row id is close enough; RFC 5322 wants the parent's chain, the root first.
    ordered = sorted(set(ids), key=ids.index)
    references = ordered[:1] + ordered[1:][-(MAX_REFERENCES - 1) :] if ordered else []
    in_reply_to = inbound[-1][0] if inbound else (outbound[-1] if outbound else "")
    subject = inbound[0][1] if inbound else (consultation.title or "")
    sender = inbound[-1][2] if inbound else ""
    return in_reply_to, references, subject, sender


def build_email(mailbox: Mailbox, out: OutboundMessage, *, consultation: Any, message_id: str) -> EmailMessage:
    in_reply_to, references, subject, sender = _thread(consultation)
    to = sender or out.recipient.key(EmailAdapter.kind) or out.recipient.email
    if not to:
        raise ChannelError(_("Pengguna layanan ini tidak punya alamat e-mail."), permanent=True, code="no_address")
    language = consultation.visitor.language if consultation.visitor.language in {"id", "en"} else "id"
    with translation.override(language):
        body = out.body.rstrip()
        if out.payload.get("rating_request"):
            body += "\n\n" + rating_request_instructions()
            body += "\n\n" + _("Beri penilaian di sini (satu kali klik tidak menilai; kirim formulirnya):")
            body += "\n" + rating_url(consultation)
        body += "\n\n-- \n" + (mailbox.display_name or consultation.office.name)
        body += "\n" + _("Balas e-mail ini untuk melanjutkan konsultasi PST#%(id)s.") % {"id": consultation.pk}
    msg = EmailMessage()
    msg["From"] = formataddr((mailbox.display_name or consultation.office.name, mailbox.address))
    msg["To"] = to
    msg["Subject"] = reply_subject(subject, consultation.pk)
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id
    msg["Reply-To"] = formataddr(
        (mailbox.display_name or consultation.office.name, reply_address(mailbox, consultation.pk))
    )
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg["Content-Language"] = language
    if out.payload.get("is_automatic") or out.is_automatic:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(body)
    _attach_files(msg, out)
    return msg


def _attach_files(msg: EmailMessage, out: OutboundMessage) -> None:

    for attachment in Attachment.objects.filter(message_id=out.message_id).order_by("pk"):
        maintype, _sep, subtype = (attachment.content_type or "application/octet-stream").partition("/")
        with attachment.file.open("rb") as handle:
            msg.add_attachment(
                handle.read(), maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename
            )


def _smtp(mailbox: Mailbox) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if mailbox.smtp_security == Security.TLS:
        client: smtplib.SMTP = smtplib.SMTP_SSL(mailbox.smtp_host, mailbox.smtp_port, timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=TIMEOUT)
        if mailbox.smtp_security == Security.STARTTLS:
            client.starttls(context=context)
    if mailbox.smtp_user:
        client.login(mailbox.smtp_user, mailbox.smtp_password())
    return client


def send_email(mailbox: Mailbox, msg: EmailMessage, to: str, *, envelope_from: str = "") -> None:
    """Hand one message to the SMTP server; 5xx answers are permanent errors, everything else is retried.
    `envelope_from` is the VERP bounce address of the outbox row (bounces are only believed when they match it or
    our Message-ID)."""
    try:
        client = _smtp(mailbox)
        try:
            client.send_message(msg, from_addr=envelope_from or mailbox.address, to_addrs=[to])
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        raise ChannelError(
            f"SMTP {code}: {reply.decode(errors='replace')}", permanent=code >= 500, code=str(code)
        ) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelError(f"SMTP login refused ({exc.smtp_code})", permanent=False, code="auth") from exc
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise ChannelError(
            f"SMTP {exc.smtp_code}: {text}", permanent=exc.smtp_code >= 500, code=str(exc.smtp_code)
        ) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise ChannelError(
            f"SMTP unreachable: {exc.__class__.__name__}: {exc}", permanent=False, code="network"
        ) from exc


class EmailAdapter:
    """The e-mail channel's adapter for `consultations.tasks.deliver_message`."""

    kind = "email"

    def public_contact(self, office: Any, channel: str) -> tuple[str, str] | None:
        return (f"mailto:{office.email}", office.email) if office.email else None

    def validate_account(self, external_key: str, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return validate_account(external_key, config)

    def send(self, message: OutboundMessage) -> ProviderRef:

        mailbox = Mailbox.objects.filter(office_id=message.office_code, is_active=True).first()
        if mailbox is None:
            raise ChannelError(
                _("Kantor %(code)s belum punya kotak surat e-mail aktif.") % {"code": message.office_code},
                permanent=True,
                code="no_mailbox",
            )
        consultation = Consultation.objects.select_related("visitor", "office").get(pk=message.consultation_id)
        outbox = Message.objects.get(pk=message.message_id)
        record = OutboundEmail.objects.filter(outbox=outbox).first()
        message_id = record.message_id if record else new_message_id(mailbox, consultation.pk, outbox.pk)
        msg = build_email(mailbox, message, consultation=consultation, message_id=message_id)
        if record is None:  # before sending: a reply to this mail must thread even if we crash right after
            record = OutboundEmail.objects.create(
                outbox=outbox,
                consultation=consultation,
                message_id=message_id,
                to_address=str(msg["To"]),
                subject=str(msg["Subject"])[:500],
            )
        send_email(mailbox, msg, str(msg["To"]), envelope_from=bounce_address(mailbox, outbox.pk))
        return ProviderRef(external_id=message_id)
