"""`pstdesk receive_email --office CODE < message.eml`: take one message from standard input (e.g. piped by the mail
server) through the same store-then-process path as IMAP polling (old name, kept for one release:
`pstdesk email ingest`)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pstdesk.channels.email import intake
from pstdesk.channels.email.models import Mailbox

MAX_BYTES = 50 * 1024 * 1024


def office_mailbox(code: str) -> Mailbox:
    mailbox = Mailbox.objects.filter(office_id=code).first()
    if mailbox is None:
        raise CommandError(f"office {code!r} has no e-mail mailbox; configure one in the admin first")
    return mailbox


class Command(BaseCommand):
    help = "Read one RFC 5322 message from standard input and take it in for the office's mailbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--office", required=True, help="office code, e.g. 5101")

    def handle(self, *args: Any, **options: Any) -> None:
        mailbox = office_mailbox(options["office"])
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise CommandError(f"message larger than {MAX_BYTES} bytes: refused, nothing stored")
        if not raw.strip():
            raise CommandError("standard input is empty: nothing stored")
        email = intake.ingest(mailbox, raw)
        line = f"{email.status} inbound_email={email.pk}"
        if email.consultation_id:
            line += f" consultation={email.consultation_id}"
        if email.error:
            line += f" note={email.error}"
        self.stdout.write(line)
