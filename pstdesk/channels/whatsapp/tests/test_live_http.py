"""The whole loop over real HTTP: the simulator's background sender posts signed webhooks to a live server, the
webhook worker thread (as `pstdesk serve` runs it) processes what was stored, our task worker (immediate under
pytest) calls the simulator's Graph API, statuses come back."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import OperationalError

from pstdesk.channels.webhooks import start_drainers, stop_drainers
from pstdesk.channels.whatsapp.simulator import RunningSimulator, Simulator, Transport
from pstdesk.channels.whatsapp.tests.conftest import SECRET, TOKEN, URL, VERIFY
from pstdesk.consultations.models import Direction, Message


def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OperationalError:  # the test database (shared-cache SQLite) locks a table while the worker writes
            pass
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.django_db(transaction=True)
def test_signed_webhooks_and_sends_over_real_http(live_server: Any, wa_settings: Any) -> None:
    sim = Simulator(
        app_secret=SECRET,
        access_token=TOKEN,
        verify_token=VERIFY,
        transport=Transport(live_server.url + URL),
        require_verification=True,
        retry_base=0.2,
    )
    running = RunningSimulator(sim, pump_in_background=True)
    wa_settings.WHATSAPP_API_BASE = running.url
    drainers = start_drainers()
    try:
        wamid = sim.user_says("105102", "6281234569999", "Halo PST, saya perlu data IPM")
        running._event.set()
        wait_for(lambda: Message.objects.filter(external_id=wamid).exists())
        assert sim.verified
        # the greeting went out through the Graph API and its statuses came back
        wait_for(lambda: Message.objects.filter(direction=Direction.OUT, delivery_status="read").count() >= 2)
    finally:
        stop_drainers(drainers)
        running.stop()
