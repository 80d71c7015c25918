from __future__ import annotations

from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """Serving processes (web, workers), health and readiness probes, metrics. No models."""

    name = "pstdesk.runtime"
