"""`pstdesk run_sla_worker [--once] [--interval SECONDS]`: find and record SLA breaches, and escalate the open
complaints past their follow-up deadline to the office above.

The task queue runs the same checks every minute (`complaints.tasks.detect_sla_breaches`,
`complaints.tasks.escalate_overdue_complaint_deadlines`); this command is for operators and for deployments that
run the checks as their own process. Any number may run at once: each breach is recorded, and each complaint
escalated, once.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pstdesk.complaints.actions import detect_breaches, escalate_overdue_complaints


class Command(BaseCommand):
    help = (
        "Find overdue consultations and record each breach once; escalate each overdue complaint once "
        "(safe with several workers)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="check once and exit")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between checks (default 60)")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = max(1.0, options["interval"])
        while True:
            recorded = detect_breaches()
            escalated = escalate_overdue_complaints()
            if options["verbosity"] >= 1:
                self.stdout.write(f"recorded {recorded} breach(es), escalated {escalated} complaint(s)")
            if options["once"]:
                return
            time.sleep(interval)
