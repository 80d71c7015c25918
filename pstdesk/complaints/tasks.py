"""Background work of the complaints app: the SLA breach worker, every minute."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from pstdesk.complaints.actions import detect_breaches


@db_periodic_task(crontab(minute="*"))
def detect_sla_breaches() -> int:
    """Record every breach that is due now. Several consumers may run it at once: each breach is claimed once."""
    return detect_breaches()
