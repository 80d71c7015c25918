"""`pstdesk email ingest --office CODE < message.eml`: take one message from standard input (e.g. piped by the mail
server) through the same store-then-process path as IMAP polling. `pstdesk email process [--office CODE]`:
process stored messages left unprocessed (after a crash)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pstdesk.channels.email import intake
from pstdesk.channels.email.models import Mailbox

MAX_BYTES = 50 * 1024 * 1024


def _mailbox(code: str) -> Mailbox:
    mailbox = Mailbox.objects.filter(office_id=code).first()
    if mailbox is None:
        raise CommandError(f"office {code!r} has no e-mail mailbox; configure one in the admin first")
    return mailbox


class Command(BaseCommand):
    help = "E-mail channel: ingest one message from standard input, or process stored messages."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        ingest = sub.add_parser("ingest", help="read one RFC 5322 message from standard input")
        ingest.add_argument("--office", required=True, help="office code, e.g. 5101")
        process = sub.add_parser("process", help="process messages stored but not yet processed")
        process.add_argument("--office", help="only this office")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "ingest":
            mailbox = _mailbox(options["office"])
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
        else:
            mailboxes = [_mailbox(options["office"])] if options.get("office") else Mailbox.objects.all()
            total = sum(intake.process_pending(m) for m in mailboxes)
            self.stdout.write(f"processed {total}")
