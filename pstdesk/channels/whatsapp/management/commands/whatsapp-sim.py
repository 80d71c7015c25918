"""`pstdesk whatsapp-sim`: the old name of `pstdesk run_whatsapp_simulator`, kept for one release."""

from __future__ import annotations

from pstdesk.channels.whatsapp.management.commands.run_whatsapp_simulator import Command as RunWhatsAppSimulator
from pstdesk.lib.commands import DeprecatedAlias


class Command(DeprecatedAlias, RunWhatsAppSimulator):
    help = "Deprecated alias of run_whatsapp_simulator (removed in the next release)."
    replacement = "run_whatsapp_simulator"
