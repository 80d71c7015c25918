"""`pstdesk skm ikm --office CODE --from DATE --to DATE [--json]` and `pstdesk skm import --office CODE FILE.csv`.

`ikm` prints the SKM index of the office and its subtree for the days from..to (inclusive, office time zone):
with `--json`, `{"ikm": 91.48, "mutu": "A", "n": 12, "nrr": {"u1": 3.5, …}, …}` (numbers; `"ikm": null` when the
period has no answers, exit 0). `import` stores the paper questionnaires of a CSV file (see
`ratings.skm_import`), all or nothing. Bad input (unknown office, bad date, bad row) ends with exit 2 and one line.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from pstdesk.lib.actors import SystemActor
from pstdesk.lib.errors import DomainError
from pstdesk.offices.models import Office
from pstdesk.ratings import skm
from pstdesk.ratings.actions import import_skm
from pstdesk.ratings.queries import skm_figures
from pstdesk.ratings.skm_import import ImportRowError, read_csv


def _date(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(f"{name} {raw!r} is not a date (YYYY-MM-DD)", returncode=2) from None


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "SKM (PermenPAN-RB 14/2017): `skm ikm` prints the index of a period; `skm import` loads paper forms."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ikm = sub.add_parser("ikm", help="print the IKM of an office (and its subtree) for a period")
        ikm.add_argument("--office", required=True)
        ikm.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        ikm.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        ikm.add_argument("--json", action="store_true")
        imp = sub.add_parser("import", help="import paper questionnaires from a CSV file")
        imp.add_argument("--office", required=True)
        imp.add_argument("file")

    def _office(self, code: str) -> Office:
        office = Office.objects.filter(code=code).first()
        if office is None:
            raise CommandError(f"unknown office {code!r}", returncode=2)
        return office

    def handle(self, *args: Any, **options: Any) -> None:
        office = self._office(options["office"])
        if options["action"] == "ikm":
            self.ikm(office, _date(options["start"], "--from"), _date(options["end"], "--to"), options["json"])
        else:
            self.import_file(office, options["file"])

    def ikm(self, office: Office, start: date, end: date, as_json: bool) -> None:
        if end < start:
            raise CommandError(f"--to {end} is before --from {start}", returncode=2)
        figures = skm_figures(office, start, end)
        if as_json:
            self.stdout.write(json.dumps({"office": office.code, **figures.as_json()}))
            return
        r = figures.result
        self.stdout.write(f"{office.code} {office.name}: {start} .. {end}")
        for element in skm.ELEMENTS:
            value = r.nrr_rounded()[element.id]
            self.stdout.write(f"  {element.id} {element.name}: NRR {value} (n={r.answered[element.id]})")
        self.stdout.write(f"IKM {r.ikm if r.ikm is not None else '-'}  mutu {r.mutu or '-'}  n={r.n}")
        self.stdout.write(f"population {figures.population}, Krejcie-Morgan minimum {figures.minimum_sample}")

    def import_file(self, office: Office, path: str) -> None:
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                rows = read_csv(handle, zone=ZoneInfo(office.timezone), now=timezone.now())
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from None
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not UTF-8 text", returncode=2) from None
        except ImportRowError as exc:
            raise CommandError(f"{path}: {exc}; nothing imported", returncode=2) from None
        try:
            created = import_skm(office, by=SystemActor("skm-import"), rows=rows)
        except DomainError as exc:
            raise CommandError(exc.message, returncode=2) from None
        self.stdout.write(f"imported {len(created)} questionnaires for {office.code}")
