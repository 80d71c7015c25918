"""`pstdesk retention [--dry-run]`: erase personal data older than each office's retention period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from pstdesk.consultations.retention import plan_retention, run_retention


class Command(BaseCommand):
    help = "Erase personal data older than each office's retention period (default 24 months); --dry-run lists it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print what would be erased; change nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if dry_run:
            total = 0
            for plan in plan_retention():
                cutoff = timezone.localtime(plan.cutoff).date().isoformat()
                self.stdout.write(
                    f"{plan.office}: {len(plan.consultations)} consultation(s) and {len(plan.visitors)} visitor(s) "
                    f"older than {plan.months} months (before {cutoff})"
                    + (f": consultations {plan.consultations}" if plan.consultations else "")
                    + (f"; visitors {plan.visitors}" if plan.visitors else "")
                )
                total += len(plan.consultations) + len(plan.visitors)
            self.stdout.write(f"dry run: {total} item(s) would be erased; nothing was changed")
            return
        results = run_retention()
        for row in results:
            self.stdout.write(
                f"{row['office']}: erased {row['consultations']} consultation(s), {row['visitors']} visitor(s)"
            )
        self.stdout.write(f"erased in {len(results)} office(s)" if results else "nothing to erase")
