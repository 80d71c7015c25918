"""`pstdesk run_whatsapp_simulator`: run the local simulator of the WhatsApp Cloud API and of Meta's webhook sender.

Point the desk at it with WHATSAPP_API_BASE=http://127.0.0.1:8025 and the same WHATSAPP_APP_SECRET,
WHATSAPP_ACCESS_TOKEN and WHATSAPP_VERIFY_TOKEN in both processes; open http://127.0.0.1:8025/ to play the
WhatsApp user.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pstdesk.channels.whatsapp.simulator import RunningSimulator, Simulator, Transport


class Command(BaseCommand):
    help = "Run the local WhatsApp Cloud API simulator (Graph API + signed webhooks) and its user page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument(
            "--webhook", default="", help="our webhook URL (default PUBLIC_URL/channels/whatsapp/webhook)"
        )
        parser.add_argument("--failure-rate", type=float, default=0.0, help="share of sends answered 5xx/429 (0–1)")
        parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible chaos)")
        parser.add_argument("--no-chaos", action="store_true", help="no duplicate, out-of-order or batched statuses")
        parser.add_argument(
            "--auto-read", action="store_true", help="send `read` at once instead of when the page shows it"
        )
        parser.add_argument("--verbose", action="store_true", help="log every request")

    def handle(self, *args: Any, **options: Any) -> None:
        secret, token = settings.WHATSAPP_APP_SECRET, settings.WHATSAPP_ACCESS_TOKEN
        if not secret or not token:
            raise CommandError(
                "Set WHATSAPP_APP_SECRET and WHATSAPP_ACCESS_TOKEN (the same values for the desk and the simulator)."
            )
        if not 0.0 <= options["failure_rate"] <= 1.0:
            raise CommandError("--failure-rate must be between 0 and 1")
        webhook = options["webhook"] or f"{settings.PUBLIC_URL}/channels/whatsapp/webhook"
        sim = Simulator(
            app_secret=secret,
            access_token=token,
            verify_token=settings.WHATSAPP_VERIFY_TOKEN,
            transport=Transport(webhook),
            failure_rate=options["failure_rate"],
            chaos=not options["no_chaos"],
            auto_read=options["auto_read"],
            seed=options["seed"],
            require_verification=bool(settings.WHATSAPP_VERIFY_TOKEN),
        )
        running = RunningSimulator(
            sim, host=options["host"], port=options["port"], pump_in_background=True, verbose=options["verbose"]
        )
        self.stdout.write(f"WhatsApp simulator on {running.url} (Graph API base for WHATSAPP_API_BASE)")
        self.stdout.write(f"Play the WhatsApp user at {running.url}/ ; webhooks go to {webhook}")
        try:
            while True:
                time.sleep(5)
                if sim.dead_letters:
                    self.stderr.write(f"{len(sim.dead_letters)} webhook(s) given up after {sim.max_attempts} attempts")
                    sim.dead_letters.clear()
        except KeyboardInterrupt:
            pass
        finally:
            running.stop()
