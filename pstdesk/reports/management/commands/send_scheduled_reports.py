"""`pstdesk send_scheduled_reports [--now 2026-12-01T08:00+08:00]`: store and e-mail the monthly/annual reports
that are due (what the hourly periodic task does); safe to run beside the workers: each report is claimed once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pstdesk.reports.schedule import run_scheduled_reports


class Command(BaseCommand):
    help = "Store and e-mail the scheduled performance reports that are due now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="act as if it were this moment (ISO 8601 with offset)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(f"bad --now {options['now']!r}: use ISO 8601 with an offset", returncode=2) from None
            if now.tzinfo is None:
                raise CommandError("--now needs a UTC offset, e.g. 2026-12-01T08:00+08:00", returncode=2)
        self.stdout.write(f"{run_scheduled_reports(now)} report(s) sent")
