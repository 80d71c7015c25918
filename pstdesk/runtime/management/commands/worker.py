"""`pstdesk worker`: a task-queue worker process (outbox delivery, SLA breaches, e-mail polling, reports)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pstdesk.runtime.workers import create_consumer, default_task_threads


class Command(BaseCommand):
    help = "Run a task worker process (use with REDIS_URL or PostgreSQL deployments; `serve` embeds one otherwise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=default_task_threads())

    def handle(self, *args: Any, **options: Any) -> None:
        # The same consumer as the one `serve` embeds (runtime.workers.create_consumer), with its signal handlers.
        create_consumer(options["threads"], embedded=False).run()
