"""Building visitor mails for the flow tests (the way real clients answer: some keep References, some drop them,
some rewrite the subject)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from pstdesk.channels.email.tests.servers import Received


def visitor_mail(
    *,
    body: str,
    subject: str,
    sender: str = "Budi Santoso <budi.santoso@student.unud.ac.id>",
    to: str = "bps5101@bps.go.id",
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="student.unud.ac.id")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def answer_to(
    sent: Received,
    *,
    body: str,
    subject: str | None = None,
    keep_references: bool = True,
    keep_in_reply_to: bool = True,
    to_reply_address: bool = True,
    **kwargs: str,
) -> bytes:
    """The visitor's reply to a mail we sent, as a mail client would build it."""
    mail = sent.message
    refs = f"{mail.get('References', '')} {mail['Message-ID']}".strip()
    return visitor_mail(
        body=body
        + "\n\nOn Mon, 3 Aug 2026 at 10:00, BPS Jembrana <bps5101@bps.go.id> wrote:\n> "
        + "\n> ".join(mail.get_content().splitlines()),
        subject=subject if subject is not None else "Re: " + str(mail["Subject"]),
        to=str(mail["Reply-To"]) if to_reply_address else "bps5101@bps.go.id",
        in_reply_to=str(mail["Message-ID"]) if keep_in_reply_to else "",
        references=refs if keep_references else "",
        **kwargs,
    )
