"""`pstdesk show_sla_due --office CODE --start ISO8601 [--days N]`: the operator-verb name of `pstdesk sla due`
(same output, same exit statuses; `sla due` stays as an alias for one release)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from pstdesk.consultations.management.commands.sla import Command as Sla


class Command(Sla):
    help = "Print the SLA deadline of a clock started at a moment, in the office's time zone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--office", required=True, help="office code, e.g. 5102")
        parser.add_argument("--start", required=True, help="ISO 8601 moment, e.g. 2026-11-23T10:00:00+08:00")
        parser.add_argument("--days", type=int, default=None, help="working days (default: the office's standard)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(self.due(options["office"], options["start"], options["days"]))
