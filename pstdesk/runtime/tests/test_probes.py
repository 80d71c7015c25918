from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_health_and_readiness_answer() -> None:
    client = Client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "channel_layer": "ok"}


@pytest.mark.django_db
def test_metrics_exposition_names_every_family() -> None:
    body = Client().get("/metrics").content.decode()
    for family in (
        "pstdesk_messages_total",
        "pstdesk_outbox_pending",
        "pstdesk_sla_breaches_total",
        "pstdesk_task_queue_depth",
        "pstdesk_websocket_connections",
    ):
        assert f"# TYPE {family}" in body
