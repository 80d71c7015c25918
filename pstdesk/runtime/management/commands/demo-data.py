"""`pstdesk demo-data`: the old name of `pstdesk generate_demo_data`, kept for one release."""

from __future__ import annotations

from pstdesk.lib.commands import DeprecatedAlias
from pstdesk.runtime.management.commands.generate_demo_data import Command as GenerateDemoData


class Command(DeprecatedAlias, GenerateDemoData):
    help = "Deprecated alias of generate_demo_data (removed in the next release)."
    replacement = "generate_demo_data"
