"""Background work of the complaints app, every minute: the SLA breach worker and the complaint deadline worker."""

from __future__ import annotations

from huey import crontab

from pstdesk.complaints.actions import detect_breaches, escalate_overdue_complaints, send_breach_digests
from pstdesk.lib.tasks import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def detect_sla_breaches() -> int:
    """Record every breach that is due now. Several consumers may run it at once: each breach is claimed once."""
    return detect_breaches()


@db_periodic_task(crontab(minute="*"))
def escalate_overdue_complaint_deadlines() -> int:
    """Escalate every open complaint past its follow-up deadline to the office above, once each, however many
    consumers run it at once (see `complaints.actions.escalate_complaint`)."""
    return escalate_overdue_complaints()


@db_periodic_task(crontab(minute="*"))
def send_daily_breach_digests() -> int:
    """Each office's daily digest of new SLA breaches, sent once its digest hour (BREACH_DIGEST_HOUR, office time)
    has come; every other run that day finds nothing to claim and costs one query."""
    return send_breach_digests()
