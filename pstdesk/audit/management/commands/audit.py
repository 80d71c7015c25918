"""`pstdesk audit verify --office CODE`: check the office's audit hash chain and say where it breaks.
`pstdesk audit seal` seals the rows written since the last seal (the periodic task does it every minute).

Exit status 0 when the chain is whole, 1 when it breaks (one line naming the row and the reason), 2 for bad input.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pstdesk.audit.chain import seal_chains, verify_chain
from pstdesk.offices.models import Office


class Command(BaseCommand):
    help = "Audit trail tools: `audit verify --office CODE`, `audit seal`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="tool", required=True)
        verify = sub.add_parser("verify", help="check an office's hash chain")
        verify.add_argument("--office", required=True)
        sub.add_parser("seal", help="seal the rows written since the last seal")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["tool"] == "seal":
            self.stdout.write(f"sealed {seal_chains()} rows")
            return
        code = options["office"]
        if not Office.objects.filter(code=code).exists():
            raise CommandError(f"unknown office {code!r}", returncode=2)
        verdict = verify_chain(code)
        if verdict.ok:
            self.stdout.write(f"OK: office {code}: {verdict.checked} rows chained, {verdict.unsealed} not sealed yet")
            return
        where = f"row {verdict.broken_at}" if verdict.broken_at is not None else "end of chain"
        raise CommandError(
            f"BROKEN: office {code}: chain breaks at seq {verdict.seq} ({where}): {verdict.reason}; "
            f"{verdict.checked} rows before it are intact",
            returncode=1,
        )
