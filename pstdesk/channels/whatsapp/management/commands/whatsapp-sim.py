"""`pstdesk whatsapp-sim`: the old name of `pstdesk run_whatsapp_simulator`, kept for one release."""

from __future__ import annotations

from pstdesk.channels.whatsapp.management.commands.run_whatsapp_simulator import Command as RunWhatsAppSimulator


class Command(RunWhatsAppSimulator):
    help = "Deprecated alias of run_whatsapp_simulator (removed in the next release)."
