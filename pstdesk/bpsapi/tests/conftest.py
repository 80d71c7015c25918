"""The BPS Web API simulator on a free port, with the settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pstdesk.bpsapi.simulator import BpsSimulator, RunningBpsSimulator

KEY = "test-bps-key-5f2a9c"


@pytest.fixture
def bps_sim(settings: Any) -> Iterator[BpsSimulator]:
    running = RunningBpsSimulator(BpsSimulator(key=KEY))
    settings.BPS_API_BASE = running.url
    settings.BPS_API_KEY = KEY
    settings.BPS_API_TIMEOUT_MS = 1500
    try:
        yield running.sim
    finally:
        running.stop()
