"""Background work of the reports app: the monthly and annual reports, checked every hour on the hour (08.00 office
time is on the hour in every Indonesian zone; later hours catch up a missed one)."""

from __future__ import annotations

from huey import crontab

from pstdesk.lib.tasks import db_periodic_task
from pstdesk.reports.schedule import run_scheduled_reports


@db_periodic_task(crontab(minute="0"))
def send_scheduled_reports() -> int:
    """Store and e-mail the reports due now. Several consumers may run it at once: each report is claimed once."""
    return run_scheduled_reports()
