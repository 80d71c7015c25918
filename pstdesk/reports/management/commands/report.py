"""`pstdesk report --office 5102 --period 2026-11 --format pdf --output FILE [--subtree] [--rows]`: the
performance evaluation report (or, with `--rows`, one row per consultation) of an office for a period.

A bad office, period or format exits 2 with one line; a period without data gives a report of zeros.
"""

from __future__ import annotations

import sys
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pstdesk.lib.errors import InvalidInput
from pstdesk.offices.models import Office
from pstdesk.reports.exports import FORMATS, ROW_FORMATS, render, render_rows
from pstdesk.reports.figures import build_report
from pstdesk.reports.periods import parse_period


class Command(BaseCommand):
    help = "Write an office's performance evaluation report (json, csv zip, xlsx, pdf) or its consultation rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--office", required=True, help="office code, e.g. 5102")
        parser.add_argument("--period", required=True, help="YYYY-MM, YYYY or YYYY-MM-DD..YYYY-MM-DD")
        parser.add_argument("--format", default="json", help="json, csv, xlsx or pdf (rows: csv or xlsx)")
        parser.add_argument("--output", default="-", help="file to write (default: standard output)")
        parser.add_argument("--subtree", action="store_true", help="the office and every office below it")
        parser.add_argument("--rows", action="store_true", help="one row per consultation instead of the report")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        allowed = ROW_FORMATS if options["rows"] else FORMATS
        if fmt not in allowed:
            raise CommandError(f"unknown format {fmt!r}: use one of {', '.join(allowed)}", returncode=2)
        try:
            period = parse_period(options["period"])
        except InvalidInput:
            raise CommandError(
                f"bad period {options['period']!r}: use YYYY-MM, YYYY or YYYY-MM-DD..YYYY-MM-DD", returncode=2
            ) from None
        office = Office.objects.filter(code=options["office"]).first()
        if office is None:
            raise CommandError(f"unknown office {options['office']!r}", returncode=2)
        if options["rows"]:
            offices = list(Office.objects.subtree_of(office)) if options["subtree"] else [office]
            data = render_rows(offices, period, ZoneInfo(office.timezone), fmt)
        else:
            data = render(build_report(office, period, subtree=options["subtree"]), fmt)
        if options["output"] == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            with open(options["output"], "wb") as handle:
                handle.write(data)
