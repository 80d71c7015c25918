"""`pstdesk show_sla_due --office CODE --start ISO8601 [--days N]`: the SLA deadline of a clock started at a moment
(old name, kept for one release: `pstdesk sla due`).

Prints only the deadline, as ISO 8601 in the office's time zone (e.g. `2026-11-26T16:00:00+08:00`), computed by
`consultations.sla.sla_due_at` with the office's calendar and standard: the same function the service uses.
The start accepts any ISO 8601 offset (`Z`, `+00:00`, `+0700`, ...); a start without an offset is read in the
office's zone. Bad input (unknown office, unparsable time) ends with exit status 2 and one line on stderr.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pstdesk.consultations.sla import sla_due_at
from pstdesk.lib.workdays import CalendarRangeError
from pstdesk.offices.calendar import CalendarNotConfigured, calendar_for, years_for
from pstdesk.offices.models import Office


def parse_start(raw: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 moment; naive input is taken in `zone`. ValueError with a readable message otherwise."""
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"cannot parse start time {raw!r}: use ISO 8601, e.g. 2026-11-23T10:00:00+08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


class Command(BaseCommand):
    # A read-only computation: unrelated system check failures must not hide its answer.
    requires_system_checks: list[str] = []
    help = "Print the SLA deadline of a clock started at a moment, in the office's time zone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--office", required=True, help="office code, e.g. 5102")
        parser.add_argument("--start", required=True, help="ISO 8601 moment, e.g. 2026-11-23T10:00:00+08:00")
        parser.add_argument("--days", type=int, default=None, help="working days (default: the office's standard)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(self.due(options["office"], options["start"], options["days"]))

    def due(self, code: str, raw_start: str, days: int | None) -> str:
        office = Office.objects.filter(code=code).first()
        if office is None:
            raise CommandError(f"unknown office {code!r}", returncode=2)
        standard = office.standard
        if standard is None:
            raise CommandError(f"office {code} has no service standard", returncode=2)
        if days is not None and days < 0:
            raise CommandError(f"--days must be 0 or more, got {days}", returncode=2)
        zone = ZoneInfo(office.timezone)
        try:
            start = parse_start(raw_start, zone)
            cal = calendar_for(office, years=years_for(start.astimezone(zone)))
            due = sla_due_at(start, cal, standard.sla_working_days if days is None else days)
        except (ValueError, OverflowError, CalendarRangeError, CalendarNotConfigured) as exc:
            raise CommandError(str(exc), returncode=2) from None
        return due.astimezone(zone).isoformat()
