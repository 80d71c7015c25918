"""`pstdesk process_stored_email [--office CODE]`: process the messages stored but left unprocessed (after a crash)
(old name, kept for one release: `pstdesk email process`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pstdesk.channels.email import intake
from pstdesk.channels.email.management.commands.receive_email import office_mailbox
from pstdesk.channels.email.models import Mailbox


def process_stored(office: str | None) -> int:
    """Process the stored messages of `office`'s mailbox (every mailbox without one); how many were processed."""
    mailboxes = [office_mailbox(office)] if office else Mailbox.objects.all()
    return sum(intake.process_pending(m) for m in mailboxes)


class Command(BaseCommand):
    help = "Process the e-mail messages stored but not yet processed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--office", help="only this office")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"processed {process_stored(options.get('office'))}")
