"""`pstdesk serve`: the web server (HTTP and WebSockets) and, in the embedded default, the task workers.

Embedded (no REDIS_URL): one uvicorn process with the task consumer's threads inside it, because the in-memory
channel layer reaches only consumers of its own process. Scale-out (REDIS_URL set): `--workers N` uvicorn
processes; run the task workers separately with `pstdesk worker`.
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from pstdesk.lib.logs import uvicorn_log_config
from pstdesk.runtime.workers import default_task_threads, start_embedded_consumer

DEMO_SERVICES = "pstdesk.devtools.demo.start_demo_services"


class Command(BaseCommand):
    help = "Serve PST Desk (web, WebSockets and, without Redis, the task workers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1, help="web processes (needs REDIS_URL when > 1)")
        parser.add_argument("--no-tasks", action="store_true", help="do not run task workers in this process")
        parser.add_argument("--task-threads", type=int, default=default_task_threads())

    def handle(self, *args: Any, **options: Any) -> None:
        workers: int = options["workers"]
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if workers > 1 and not settings.REDIS_URL:
            raise CommandError(
                "--workers > 1 needs REDIS_URL: the in-memory channel layer cannot reach other processes"
            )
        consumer = None
        demo_services: list[Any] = []
        if settings.DEMO:
            # Looked up by name, so the simulators (dev tools) stay out of production's import graph.
            demo_services = import_string(DEMO_SERVICES)(self.stdout)
        if not settings.REDIS_URL and not options["no_tasks"]:
            consumer = start_embedded_consumer(options["task_threads"])
        self.stdout.write(f"PST Desk on http://{options['host']}:{options['port']}/  (console: /console/)")
        try:
            uvicorn.run(
                "pstdesk.runtime.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=workers if workers > 1 else None,
                log_level=settings.LOG_LEVEL.lower(),
                log_config=uvicorn_log_config(),
                ws_per_message_deflate=False,
                # Forwarded headers are believed per TRUSTED_PROXIES only (pstdesk.lib.proxies), never by uvicorn.
                proxy_headers=False,
                lifespan="off",
            )
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)
            for service in demo_services:
                service.stop()
