"""`pstdesk sla due --office CODE --start ISO8601`: the old name of `pstdesk show_sla_due`, kept for one release."""

from __future__ import annotations

from django.core.management.base import CommandParser

from pstdesk.consultations.management.commands.show_sla_due import Command as ShowSlaDue
from pstdesk.lib.commands import DeprecatedAlias


class Command(DeprecatedAlias, ShowSlaDue):
    help = "Deprecated alias of show_sla_due (removed in the next release): `sla due --office CODE --start ISO8601`."
    replacement = "show_sla_due"
    old_usage = "sla due"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        super().add_arguments(sub.add_parser("due", help="print the SLA deadline for a start moment"))
