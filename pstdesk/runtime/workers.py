"""Running the task queue's consumer (and the webhook drainers beside it), either as its own process
(`pstdesk worker`) or inside the web process (the embedded default, where the in-memory channel layer only reaches
consumers of the same process).

Both go through `create_consumer`, which first imports every app's `tasks` module (`register_tasks`): a consumer
only runs the periodic tasks it knows of, and a task read back from the queue (e.g. one queued before a restart)
whose module was never imported fails with "… not found in TaskRegistry".
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules
from huey.consumer import Consumer, Scheduler
from huey.contrib.djhuey import HUEY

from pstdesk.channels.webhooks import start_drainers, stop_drainers

log = logging.getLogger(__name__)


def register_tasks() -> list[str]:
    """Import the `tasks` module of every installed app (as huey's `run_huey` does), so the consumer's registry
    holds every queued and periodic task. Returns the registered task names."""

    autodiscover_modules("tasks")
    return sorted(HUEY._registry._registry)


def periodic_seconds() -> int:
    """How often the scheduler enqueues the periodic tasks: every minute (their crontabs are per minute). Tests
    shorten it with TASK_PERIODIC_SECONDS; a crontab still only decides which minute a task may run in."""
    raw = os.environ.get("TASK_PERIODIC_SECONDS", "60")
    if not raw.isdigit() or not 1 <= int(raw) <= 60:
        raise ImproperlyConfigured(f"Unexpected value TASK_PERIODIC_SECONDS={raw!r}: use 1 to 60 seconds")
    return int(raw)


class PstScheduler(Scheduler):  # type: ignore[misc]  # huey has no type information
    """huey's scheduler with the periodic check interval of `periodic_seconds()` (huey's class attribute: 60)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.periodic_task_seconds = periodic_seconds()


class PstConsumer(Consumer):  # type: ignore[misc]  # huey has no type information
    """The consumer of `pstdesk worker`: huey's, with `PstScheduler`, and one thread per provider webhook that
    processes its stored deliveries (`channels.webhooks.Drainer`)."""

    scheduler_class = PstScheduler

    def start(self) -> None:

        super().start()
        self.drainers = start_drainers()

    def stop(self, graceful: bool = False) -> None:

        stop_drainers(getattr(self, "drainers", []))
        super().stop(graceful=graceful)


class EmbeddedConsumer(PstConsumer):
    """A consumer whose threads run inside another server's process: the host process owns the signals."""

    def _set_signal_handlers(self) -> None:
        return None


def default_task_threads() -> int:
    """The consumer thread count of `settings.HUEY["consumer"]["workers"]` (WORKER_THREADS), the default of
    `serve --task-threads` and `worker --threads`."""
    consumer = settings.HUEY["consumer"]
    workers = consumer.get("workers") if isinstance(consumer, dict) else None
    if not isinstance(workers, int):
        raise ImproperlyConfigured('settings.HUEY["consumer"]["workers"] must be an integer')
    return workers


def consumer_options(workers: int) -> dict[str, Any]:
    return {"workers": workers, "worker_type": "thread", "periodic": True}


def create_consumer(workers: int, *, embedded: bool) -> PstConsumer:
    """The task consumer of `pstdesk worker` (embedded=False) and of `pstdesk serve` (embedded=True): the same
    registered tasks, periodic scheduler and thread workers; only signal handling differs."""

    names = register_tasks()
    options = consumer_options(workers)
    if embedded:
        # The web server's process is not watched by a supervisor of the consumer: no health-check restarts.
        consumer: PstConsumer = EmbeddedConsumer(HUEY, check_worker_health=False, **options)
    else:
        consumer = PstConsumer(HUEY, **options)
    log.info("task consumer with %s threads, tasks: %s", workers, ", ".join(names))
    return consumer


def start_embedded_consumer(workers: int) -> PstConsumer:
    consumer = create_consumer(workers, embedded=True)
    consumer.start()
    log.info("embedded task consumer started with %s threads", workers)
    return consumer
