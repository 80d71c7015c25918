"""`pstdesk worker`: a task-queue worker process (outbox delivery, SLA breaches, e-mail polling, reports)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run a task worker process (use with REDIS_URL or PostgreSQL deployments; `serve` embeds one otherwise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=settings.HUEY["consumer"]["workers"])

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("run_huey", workers=options["threads"], worker_type="thread")
