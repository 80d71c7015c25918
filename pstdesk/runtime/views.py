"""Health, readiness and metrics endpoints for load balancers and Prometheus."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from huey.contrib.djhuey import HUEY

from pstdesk.runtime.metrics import render_metrics

log = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


# A probe must answer even when a backend hangs (a firewalled Redis): each check gives up after this long.
PROBE_TIMEOUT = 2.0


def _check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return {"status": "degraded", "detail": f"{len(pending)} migrations not applied"}
    return {"status": "ok"}


def _check_channel_layer() -> dict[str, Any]:
    layer = get_channel_layer()
    if layer is None:
        return {"status": "ok", "detail": "none configured"}

    async def round_trip() -> None:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "probe"})
        await layer.receive(channel)

    async_to_sync(asyncio.wait_for)(round_trip(), PROBE_TIMEOUT)
    return {"status": "ok"}


def _check_cache() -> dict[str, Any]:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        return {"status": "down", "detail": "value not kept"}
    cache.delete(key)
    return {"status": "ok"}


def _check_task_queue() -> dict[str, Any]:
    return {"status": "ok", "pending": HUEY.pending_count()}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": _check_database,
    "channel_layer": _check_channel_layer,
    "cache": _check_cache,
    "task_queue": _check_task_queue,
}


def _backend(name: str) -> str:
    """Which backend a component runs on (no address, no password: this answer is public)."""
    if name == "database":
        return connection.vendor
    if name == "channel_layer":
        return str(settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")).rsplit(".", 1)[-1]
    if name == "cache":
        return str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1]
    return str(settings.HUEY.get("huey_class", "")).rsplit(".", 1)[-1] if isinstance(settings.HUEY, dict) else ""


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness, per component: the database answers and is migrated, the channel layer, the cache and the task
    queue answer (with Redis: which of them is down). 503 when any is not ok.

    `components` names each part with its status ("ok", "degraded", "down"), its backend and, when not ok, why;
    `checks` is the short form ("ok" or the reason) kept for existing probes."""
    components: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            result = check()
        except Exception as exc:  # TimeoutError, redis ConnectionError, OperationalError…
            log.warning("readiness: %s is down (%s)", name, exc.__class__.__name__)
            result = {"status": "down", "detail": f"error: {exc.__class__.__name__}"}
        components[name] = {"backend": _backend(name), **result}
    checks = {
        name: "ok" if components[name]["status"] == "ok" else str(components[name].get("detail", "down"))
        for name in ("database", "channel_layer")
    }
    down = [name for name, result in components.items() if result["status"] != "ok"]
    body = {"status": "ok" if not down else "unavailable", "down": down, "components": components, "checks": checks}
    return JsonResponse(body, status=503 if down else 200)


def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(render_metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")
