"""Periodic work of the guestbook: warn managers of privacy requests about to run out of their 3×24 hours."""

from __future__ import annotations

from huey import crontab

from pstdesk.guestbook.rights import warn_due_requests
from pstdesk.lib.tasks import db_periodic_task


@db_periodic_task(crontab(minute="7"))
def warn_privacy_requests() -> int:

    return warn_due_requests()
