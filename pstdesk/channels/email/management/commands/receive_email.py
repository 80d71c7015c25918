"""`pstdesk receive_email --office CODE < message.eml`: the operator-verb name of `pstdesk email ingest` (e.g. piped
by the mail server; same store-then-process path as IMAP polling; `email ingest` stays as an alias for one release)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from pstdesk.channels.email.management.commands.email import Command as Email


class Command(Email):
    help = "Read one RFC 5322 message from standard input and take it in for the office's mailbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--office", required=True, help="office code, e.g. 5101")

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **{**options, "subcommand": "ingest"})
