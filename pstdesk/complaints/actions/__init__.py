"""State changes of breaches, compensation cases and complaints (the only place they happen), one module each
(`breaches`, `compensation`, `complaints`); everything is importable from here.

Breaches are found by `detect_breaches` (the minute task and `pstdesk run_sla_worker`), and each is claimed by
`record_breach` so that any number of workers running at once record it exactly once:

- a resolution breach is claimed by the conditional update
  `Consultation.objects.filter(pk=…, breached_at__isnull=True, <still overdue>).update(breached_at=now)`: only one
  transaction can move `breached_at` from NULL (PostgreSQL re-evaluates the WHERE after the row lock; SQLite
  serialises writers), the others update zero rows and stop. (A `breached_at` older than `sla_started_at`
  belongs to the clock before a reopening and counts as NULL.)
- a first-response breach is claimed by inserting the `Breach` row, unique per consultation;
- a unique constraint on (consultation, due_at) also backs the resolution claim.

A resolution breach (the standard's N working days) opens a compensation case for the service manager. A
first-response breach (an office's own target, not a promise of the standard) is recorded and escalated, but opens
no case; a supervisor can open one by hand (`open_compensation`).
"""

from __future__ import annotations

from pstdesk.complaints.actions._common import COMPLAINT_MAX_CHARS, DETECT_BATCH, SYSTEM_ACTOR, format_local
from pstdesk.complaints.actions.breaches import (
    detect_breaches,
    overdue_first_response,
    overdue_resolution,
    record_breach,
    send_breach_digests,
)
from pstdesk.complaints.actions.compensation import (
    can_decide_compensation,
    decide_compensation,
    open_compensation,
)
from pstdesk.complaints.actions.complaints import (
    COMPLAINT_TRANSITIONS,
    add_complaint_note,
    assign_complaint,
    escalate_complaint,
    escalate_overdue_complaints,
    file_complaint,
    file_complaint_from_message,
    handle_complaint,
    set_lapor_stage,
)
from pstdesk.lib.errors import DomainError

__all__ = [
    "COMPLAINT_MAX_CHARS",
    "COMPLAINT_TRANSITIONS",
    "DETECT_BATCH",
    "SYSTEM_ACTOR",
    "format_local",
    "DomainError",
    "add_complaint_note",
    "assign_complaint",
    "can_decide_compensation",
    "decide_compensation",
    "detect_breaches",
    "escalate_complaint",
    "escalate_overdue_complaints",
    "file_complaint",
    "file_complaint_from_message",
    "handle_complaint",
    "open_compensation",
    "overdue_first_response",
    "overdue_resolution",
    "record_breach",
    "send_breach_digests",
    "set_lapor_stage",
]
