"""Settings of the chat benchmark: the benchmark settings with the widget's abuse limits lifted.

Every benchmark client connects from 127.0.0.1, so the per-address limit (60 messages a minute) would refuse the
load after a second; the per-visitor limit (20 a minute) is what the paced phase sends at, and the saturation
phase sends faster on purpose. The limits' cache round trips still happen on every message.
"""

from __future__ import annotations

from bench.settings import *  # noqa: F403

WIDGET_MESSAGES_PER_MINUTE = 1_000_000
WIDGET_MESSAGES_PER_MINUTE_PER_IP = 100_000_000
