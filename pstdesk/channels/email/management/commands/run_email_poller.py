"""`pstdesk run_email_poller [--once] [--office CODE] [--interval SECONDS]`: IMAP intake of every active mailbox.

With --once: one poll of each mailbox, then exit (cron, tests). Without: one thread per mailbox, IDLE where the
server offers it, until SIGINT/SIGTERM.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pstdesk.channels.email.models import Mailbox
from pstdesk.channels.email.poller import poll_once, run_mailbox


class Command(BaseCommand):
    help = "Poll the offices' IMAP mailboxes for consultations by e-mail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="poll each mailbox once and exit")
        parser.add_argument("--office", help="only this office's mailbox")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between polls without IDLE")

    def handle(self, *args: Any, **options: Any) -> None:
        active = Mailbox.objects.filter(is_active=True)
        if options.get("office"):
            active = active.filter(office_id=options["office"])
        mailboxes = list(active)
        if not mailboxes:
            raise CommandError("no active mailbox to poll")
        if options["once"]:
            failed = 0
            for mailbox in mailboxes:
                try:
                    result = poll_once(mailbox)
                except Exception as exc:  # report and go on with the next mailbox
                    failed += 1
                    self.stderr.write(f"{mailbox.office_id}: {exc.__class__.__name__}: {exc}")
                    continue
                self.stdout.write(
                    f"{mailbox.office_id}: fetched={result.fetched} stored={result.stored} "
                    f"duplicates={result.duplicates} processed={result.processed}"
                    + (" rescanned" if result.rescanned else "")
                )
            if failed:
                raise CommandError(f"{failed} mailbox(es) could not be polled")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        threads = [
            threading.Thread(
                target=run_mailbox,
                args=(m.pk, stop),
                kwargs={"interval": options["interval"]},
                name=f"email-{m.office_id}",
                daemon=True,
            )
            for m in mailboxes
        ]
        for thread in threads:
            thread.start()
        while not stop.wait(1.0):
            pass
        for thread in threads:
            thread.join(timeout=35)
