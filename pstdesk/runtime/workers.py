"""Running the task queue's consumer, either as its own process (`pstdesk worker`) or inside the web process
(the embedded default, where the in-memory channel layer only reaches consumers of the same process)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from huey.consumer import Consumer

log = logging.getLogger(__name__)


class EmbeddedConsumer(Consumer):
    """A huey consumer whose threads run inside another server's process: the host process owns the signals."""

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


def start_embedded_consumer(workers: int) -> EmbeddedConsumer:
    from huey.contrib.djhuey import HUEY

    consumer = EmbeddedConsumer(HUEY, workers=workers, worker_type="thread", periodic=True, check_worker_health=False)
    consumer.start()
    log.info("embedded task consumer started with %s threads", workers)
    return consumer


def consumer_options(workers: int) -> dict[str, Any]:
    return {"workers": workers, "worker_type": "thread", "periodic": True}
