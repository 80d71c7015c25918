"""Prometheus metrics in the text exposition format.

Counters (messages in and out, SLA breaches) are read from the database, so every process reports the same
totals and nothing is lost on restart; the queries use indexed columns. WebSocket connections are a per-process
gauge kept by the consumers (`connection_opened` / `connection_closed`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter

from django.db.models import Count
from huey.contrib.djhuey import HUEY

from pstdesk.channels.webhooks import intakes
from pstdesk.consultations.models import Consultation, DeliveryStatus, Message

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_websockets: Counter[str] = Counter()


def connection_opened(kind: str) -> None:
    with _lock:
        _websockets[kind] += 1


def connection_closed(kind: str) -> None:
    with _lock:
        _websockets[kind] -= 1


def _line(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        inner = ",".join(f'{key}="{val}"' for key, val in sorted(labels.items()))
        return f"{name}{{{inner}}} {value}"
    return f"{name} {value}"


def render_metrics() -> str:
    lines = [
        "# HELP pstdesk_messages_total Messages stored, by direction and channel.",
        "# TYPE pstdesk_messages_total counter",
    ]
    rows = Message.objects.filter(kind="message").values("direction", "channel").annotate(n=Count("id"))
    for row in rows.order_by():
        lines.append(
            _line("pstdesk_messages_total", row["n"], {"direction": row["direction"], "channel": row["channel"]})
        )
    lines += [
        "# HELP pstdesk_outbox_pending Outbound messages waiting to be sent.",
        "# TYPE pstdesk_outbox_pending gauge",
        _line("pstdesk_outbox_pending", Message.objects.filter(delivery_status=DeliveryStatus.PENDING).count()),
        "# HELP pstdesk_sla_breaches_total Consultations that missed their SLA due moment.",
        "# TYPE pstdesk_sla_breaches_total counter",
        _line("pstdesk_sla_breaches_total", Consultation.objects.filter(breached_at__isnull=False).count()),
        "# HELP pstdesk_task_queue_depth Tasks waiting in the task queue.",
        "# TYPE pstdesk_task_queue_depth gauge",
        _line("pstdesk_task_queue_depth", _queue_depth()),
        "# HELP pstdesk_webhook_backlog Provider webhook deliveries stored and not yet processed.",
        "# TYPE pstdesk_webhook_backlog gauge",
        *_webhook_backlog(),
        "# HELP pstdesk_websocket_connections Open WebSocket connections in this process.",
        "# TYPE pstdesk_websocket_connections gauge",
    ]
    with _lock:
        for kind, value in sorted(_websockets.items()):
            lines.append(_line("pstdesk_websocket_connections", value, {"kind": kind, "pid": str(os.getpid())}))
    return "\n".join(lines) + "\n"


def _webhook_backlog() -> list[str]:
    return [_line("pstdesk_webhook_backlog", intake.pending(), {"channel": intake.name}) for intake in intakes()]


def _queue_depth() -> int:
    try:
        return int(HUEY.pending_count())
    except Exception:  # the queue's storage is unreachable: the scrape still answers, and -1 marks the gauge unknown
        logger.warning("task queue depth unavailable", exc_info=True)
        return -1
