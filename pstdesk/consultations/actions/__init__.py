"""The consultation procedure as named actions. Every state change of a consultation or message goes through here:
one transaction, the transition checked against `transitions.TRANSITIONS`, `save(update_fields=...)`, an audit row,
and the real-time event published after commit.

One module per flow: `intake` (every channel's inbound message), `requirements` (whether a consultation may open, and
its SLA clock), `messages` (what staff write), `procedure` (the status moves), `outbox` (automatic messages and the
delivery after commit), `assignment`, `delivery` (delivery and read receipts), `canned` (saved replies),
`deadlines` (due dates re-computed when an office's calendar changes). Callers import from here.

Decisions (see docs/architecture.md, "consultations.actions"):
- "Answered" is explicit (`mark_answered`, or `answer=True` on the reply): an officer's reply may be a clarifying
  question, and the SLA is met by the answer, not by any reply.
- Claiming a consultation is "accepting" it (DESIGN.md): it marks the request clear if nobody has.
- Messages are their own record (author, time, seq); inbound messages write an audit row only when they open or
  reopen a consultation, officer replies, notes and automatic messages write one each.
- Events: the office group gets the staff view (`message_dict(for_staff=True)`, notes included); the
  consultation group (which the visitor's widget also joins) gets the public view and never a note.
"""

from pstdesk.consultations.actions.assignment import (
    assign_consultation,
    auto_assign,
    claim_consultation,
    set_on_duty,
    staffing_warning,
    transfer_consultation,
)
from pstdesk.consultations.actions.canned import delete_canned_reply, render_canned_reply, save_canned_reply
from pstdesk.consultations.actions.deadlines import office_calendar_changed, recompute_office_due_dates
from pstdesk.consultations.actions.delivery import mark_read_by_office, update_delivery_status
from pstdesk.consultations.actions.intake import Received, open_consultation, receive_message
from pstdesk.consultations.actions.messages import add_note, ask_clarification, post_reply, set_topic
from pstdesk.consultations.actions.outbox import post_automatic_message
from pstdesk.consultations.actions.procedure import (
    RATING_REQUEST_TEXT,
    close_consultation,
    mark_answered,
    reopen_consultation,
    request_rating,
)
from pstdesk.consultations.actions.requirements import (
    accept_introduction,
    mark_introduction_given,
    mark_request_clear,
    missing_requirements,
    record_clarification_answer,
    refresh_requirements,
    refresh_visitor_requirements,
)
from pstdesk.consultations.effects import publish_message

__all__ = [
    "RATING_REQUEST_TEXT",
    "Received",
    "accept_introduction",
    "add_note",
    "ask_clarification",
    "assign_consultation",
    "auto_assign",
    "claim_consultation",
    "close_consultation",
    "delete_canned_reply",
    "mark_answered",
    "mark_introduction_given",
    "mark_read_by_office",
    "mark_request_clear",
    "missing_requirements",
    "office_calendar_changed",
    "open_consultation",
    "post_automatic_message",
    "post_reply",
    "publish_message",
    "receive_message",
    "recompute_office_due_dates",
    "record_clarification_answer",
    "refresh_requirements",
    "refresh_visitor_requirements",
    "render_canned_reply",
    "reopen_consultation",
    "request_rating",
    "save_canned_reply",
    "set_on_duty",
    "set_topic",
    "staffing_warning",
    "transfer_consultation",
    "update_delivery_status",
]
