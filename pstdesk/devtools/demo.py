"""Services that only the demo (`make run`, DEMO=true) starts beside the web server."""

from __future__ import annotations

from io import TextIOBase
from typing import Any

from django.conf import settings

from pstdesk.bpsapi.simulator import BpsSimulator, RunningBpsSimulator
from pstdesk.channels.whatsapp.simulator import RunningSimulator, Simulator, Transport


def start_demo_services(out: TextIOBase) -> list[Any]:
    """Start the local WhatsApp Cloud API simulator on WHATSAPP_SIMULATOR_PORT, wired to this server's webhook,
    so a newcomer can play the WhatsApp user offline (settings default WHATSAPP_API_BASE to it in DEMO mode), and
    the BPS Web API simulator on BPS_API_SIMULATOR_PORT for the console's data panel (BPS_API_BASE in DEMO mode)."""
    webhook = f"{settings.PUBLIC_URL}/channels/whatsapp/webhook"
    sim = Simulator(
        app_secret=settings.WHATSAPP_APP_SECRET,
        access_token=settings.WHATSAPP_ACCESS_TOKEN,
        verify_token=settings.WHATSAPP_VERIFY_TOKEN,
        transport=Transport(webhook),
        require_verification=bool(settings.WHATSAPP_VERIFY_TOKEN),
    )
    running = RunningSimulator(sim, host="127.0.0.1", port=settings.WHATSAPP_SIMULATOR_PORT, pump_in_background=True)
    out.write(f"WhatsApp simulator: play the WhatsApp user at {running.url}/ (webhooks go to {webhook})\n")

    try:
        bps = RunningBpsSimulator(BpsSimulator(key=settings.BPS_API_KEY), port=settings.BPS_API_SIMULATOR_PORT)
    except OSError as exc:  # the port is taken: the demo runs on, the console's data panel says the API is down
        out.write(f"BPS Web API simulator not started on port {settings.BPS_API_SIMULATOR_PORT}: {exc.strerror}\n")
        return [running]
    out.write(f"BPS Web API simulator: {bps.url}/ (the console's data panel uses it)\n")
    return [running, bps]
