"""`{% bps_panel consultation %}`: the BPS Web API data panel of the console (search, preview, insert)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from pstdesk.bpsapi.panel import scope_choices

register = template.Library()


@register.inclusion_tag("bpsapi/_panel.html")
def bps_panel(consultation: Any) -> dict[str, Any]:
    return {
        "consultation": consultation,
        "scopes": scope_choices(consultation.office),
        # the browser gives up a little after the server's own timeout, so the server's message arrives first
        "timeout_ms": settings.BPS_API_TIMEOUT_MS + 3000,
    }
