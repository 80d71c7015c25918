"""`pstdesk run_sla_worker [--once] [--interval SECONDS]`: find and record SLA breaches.

The task queue runs the same check every minute (`complaints.tasks.detect_sla_breaches`); this command is for
operators and for deployments that run the check as its own process. Any number may run at once.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pstdesk.complaints.actions import detect_breaches


class Command(BaseCommand):
    help = "Find overdue consultations and record each breach once (safe with several workers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="check once and exit")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between checks (default 60)")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = max(1.0, options["interval"])
        while True:
            recorded = detect_breaches()
            if options["verbosity"] >= 1:
                self.stdout.write(f"recorded {recorded} breach(es)")
            if options["once"]:
                return
            time.sleep(interval)
