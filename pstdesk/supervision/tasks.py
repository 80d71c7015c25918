"""Periodic supervision work, discovered by huey's Django integration in `pstdesk worker` and `pstdesk serve`."""

from __future__ import annotations

from huey import crontab

from pstdesk.lib.tasks import db_periodic_task
from pstdesk.supervision import actions
from pstdesk.supervision.escalation import escalate_breaches, escalate_rating_alerts


@db_periodic_task(crontab(minute="*"))
def sync_duty_roster() -> None:
    """Every minute: on-duty follows the roster (opening, closing, holidays, closures)."""
    actions.sync_duty()


@db_periodic_task(crontab(minute="*"))
def warn_officers_of_deadlines() -> None:
    """Every minute: deadline warnings one working day and two working hours before."""
    actions.warn_deadlines()


@db_periodic_task(crontab(minute="*/5"))
def escalate_open_breaches() -> None:
    """Every five minutes: breaches left open escalate up the office tree, each step once."""
    escalate_breaches()


@db_periodic_task(crontab(minute="*/5"))
def escalate_undecided_rating_alerts() -> None:
    """Every five minutes: rating alerts nobody decided escalate up the office tree, each step once."""
    escalate_rating_alerts()
