"""Periodic work of the audit trail: sealing new rows into their office's hash chain."""

from __future__ import annotations

from huey import crontab

from pstdesk.audit.chain import seal_chains
from pstdesk.lib.tasks import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def seal_audit_chains() -> int:
    """Every minute: chain the rows written since the last seal (several workers: the chain head is locked)."""
    return seal_chains()
