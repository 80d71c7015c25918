"""`pstdesk email ingest --office CODE` and `pstdesk email process [--office CODE]`: the old names of
`pstdesk receive_email` and `pstdesk process_stored_email`, kept for one release."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from pstdesk.channels.email.management.commands import process_stored_email, receive_email
from pstdesk.lib.commands import DeprecatedAlias


class Command(DeprecatedAlias, receive_email.Command):
    help = "Deprecated alias of receive_email (`email ingest`) and process_stored_email (`email process`)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        super().add_arguments(sub.add_parser("ingest", help="read one message from stdin"))
        process_stored_email.Command().add_arguments(sub.add_parser("process", help="process stored messages"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "ingest":
            self.replacement, self.old_usage = "receive_email", "email ingest"
            super().handle(*args, **options)
        else:
            self.replacement, self.old_usage = "process_stored_email", "email process"
            self.stderr.write(self.deprecation_note())
            self.stdout.write(f"processed {process_stored_email.process_stored(options.get('office'))}")
