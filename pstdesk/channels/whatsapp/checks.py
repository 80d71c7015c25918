"""System check: an office with a WhatsApp account needs the WHATSAPP_* secrets, or every webhook would be refused
(bad signature) and every send fail, silently. Fails the start with the names of the offices and settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.db import DatabaseError

from pstdesk.channels.whatsapp.accounts import accounts

REQUIRED = ("WHATSAPP_APP_SECRET", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_VERIFY_TOKEN")


@register()
def whatsapp_secrets_present(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    missing = [name for name in REQUIRED if not getattr(settings, name, "")]
    if not missing:
        return []

    try:
        offices = list(accounts().order_by("office_id").values_list("office_id", flat=True))
    except DatabaseError:  # no tables yet (before the first migrate): nothing configured
        return []
    if not offices:
        return []
    return [
        Error(
            f"Office(s) {', '.join(offices)} have a WhatsApp account (phone_number_id) but {', '.join(missing)} "
            "is not set: every webhook would be refused and every message fail to send.",
            hint="Set the WHATSAPP_* environment variables (or their *_FILE forms), or clear the offices' WhatsApp "
            "ids in the admin. The demo ids are only seeded when DEMO is set.",
            id="pstdesk.E201",
        )
    ]
