"""Services that only the demo (`make run`, DEMO=true) starts beside the web server."""

from __future__ import annotations

from typing import Any, TextIO


def start_demo_services(out: TextIO) -> list[Any]:
    """Start the local WhatsApp Cloud API simulator, when the WhatsApp channel provides one."""
    services: list[Any] = []
    try:
        from pstdesk.channels.whatsapp.simulator import start_demo_simulator
    except ImportError:
        return services
    services.append(start_demo_simulator(out))
    return services
