"""Benchmark settings: the product's settings, plus a bare Django view to compare against."""

from __future__ import annotations

from pstdesk.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
