"""`pstdesk sync_whatsapp_templates [--office CODE]`: fetch the message templates of each office's WABA."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pstdesk.channels.whatsapp.accounts import WABA, accounts
from pstdesk.channels.whatsapp.actions import sync_templates
from pstdesk.channels.whatsapp.client import GraphError
from pstdesk.lib.actors import CommandActor


class Command(BaseCommand):
    help = "Sync WhatsApp message templates (GET /{waba-id}/message_templates, all pages) for the offices."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--office", action="append", default=[], help="office code (repeatable); default all")

    def handle(self, *args: Any, **options: Any) -> None:
        found = accounts()
        if options["office"]:
            found = found.filter(office_id__in=options["office"])
        wabas = sorted({str(config.get(WABA, "")) for config in found.values_list("config", flat=True)} - {""})
        if not wabas:
            raise CommandError("No office with a WhatsApp Business Account id.")
        failed = False
        for waba in wabas:
            try:
                counts = sync_templates(waba, by=CommandActor("sync_whatsapp_templates"))
            except GraphError as exc:
                self.stderr.write(f"{waba}: {exc}")
                failed = True
                continue
            self.stdout.write(
                f"{waba}: {counts['templates']} templates ({counts['created']} new, {counts['removed']} removed)"
            )
        if failed:
            raise CommandError("Some template syncs failed.")
