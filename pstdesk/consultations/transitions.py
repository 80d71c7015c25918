"""The one transition table of the consultation procedure.

`TRANSITIONS[closing_order][(from_status, action)] -> to_status`. Anything not in the table is refused by
`check_transition` with a clear message. The two closing orders of the seeds:

- 5102 "rate_then_close": answered → request_rating → awaiting_rating → record_rating → rated → close → closed.
  The visitor may also rate spontaneously from answered. Escape hatch: `close_without_rating` closes an
  `awaiting_rating` consultation when the visitor did not rate — allowed once `RATING_WAIT` has passed since the
  rating request, or at any time for a supervisor/manager/admin (checked by the action, recorded in the audit row).
- 5101 "close_then_rate": answered → close → closed (closing also asks for the rating); record_rating keeps
  closed and sets rated_at. Rating before closing is refused.

The beginning is shared: new → awaiting_requirements (something is missing) → new (requirements complete, the
request not yet marked clear) → open (request clear and requirements complete) → answered. The SLA clock does not
wait for "open": it starts when the request has arrived and the requirements are complete (docs/sla.md).
A new message after closing reopens (closed → new; the new request is marked clear again to open it) within the
standard's `reopen_days`, else a new consultation starts. Self-loops (reply, assign, set_topic, mark_request_clear,
ask_clarification, note) are listed too, so the table is the single answer to "may this happen now?".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pstdesk.consultations.models import Status
from pstdesk.lib.errors import InvalidTransition
from pstdesk.offices.policy import ClosingOrder

# How long an officer waits for the visitor's rating (5102) before `close_without_rating` is allowed.
RATING_WAIT = timedelta(hours=24)

ACTIVE = (Status.NEW, Status.AWAITING_REQUIREMENTS, Status.OPEN, Status.ANSWERED, Status.AWAITING_RATING, Status.RATED)

_COMMON: dict[tuple[str, str], str] = {
    (Status.NEW, "await_requirements"): Status.AWAITING_REQUIREMENTS,
    (Status.AWAITING_REQUIREMENTS, "requirements_complete"): Status.NEW,
    (Status.NEW, "open"): Status.OPEN,
    (Status.AWAITING_REQUIREMENTS, "open"): Status.OPEN,
    (Status.OPEN, "answer"): Status.ANSWERED,
    (Status.CLOSED, "reopen"): Status.NEW,
    # Marking the request clear is possible before the consultation opens (it is one of the two conditions).
    (Status.NEW, "mark_request_clear"): Status.NEW,
    (Status.AWAITING_REQUIREMENTS, "mark_request_clear"): Status.AWAITING_REQUIREMENTS,
    # Recording that the request is not yet clear (and asking the visitor) is possible only before it is clear.
    (Status.NEW, "ask_clarification"): Status.NEW,
    (Status.AWAITING_REQUIREMENTS, "ask_clarification"): Status.AWAITING_REQUIREMENTS,
}
for _status in ACTIVE:
    _COMMON[(_status, "reply")] = _status
    _COMMON[(_status, "assign")] = _status
for _status in (*ACTIVE, Status.CLOSED):
    _COMMON[(_status, "set_topic")] = _status
    _COMMON[(_status, "note")] = _status

TRANSITIONS: dict[str, dict[tuple[str, str], str]] = {
    ClosingOrder.RATE_THEN_CLOSE: {
        **_COMMON,
        (Status.ANSWERED, "request_rating"): Status.AWAITING_RATING,
        (Status.AWAITING_RATING, "request_rating"): Status.AWAITING_RATING,  # a reminder
        (Status.ANSWERED, "record_rating"): Status.RATED,
        (Status.AWAITING_RATING, "record_rating"): Status.RATED,
        (Status.RATED, "close"): Status.CLOSED,
        (Status.AWAITING_RATING, "close_without_rating"): Status.CLOSED,
    },
    ClosingOrder.CLOSE_THEN_RATE: {
        **_COMMON,
        (Status.ANSWERED, "close"): Status.CLOSED,
        (Status.CLOSED, "request_rating"): Status.CLOSED,  # closing asks; this re-sends the request
        (Status.CLOSED, "record_rating"): Status.CLOSED,
    },
}

ACTION_LABELS = {
    "await_requirements": gettext_lazy("menunggu persyaratan"),
    "requirements_complete": gettext_lazy("persyaratan lengkap"),
    "open": gettext_lazy("membuka konsultasi"),
    "answer": gettext_lazy("menandai terjawab"),
    "reopen": gettext_lazy("membuka kembali"),
    "mark_request_clear": gettext_lazy("menandai permintaan jelas"),
    "ask_clarification": gettext_lazy("meminta penjelasan permintaan"),
    "reply": gettext_lazy("membalas"),
    "assign": gettext_lazy("menugaskan"),
    "set_topic": gettext_lazy("menetapkan topik"),
    "note": gettext_lazy("menambah catatan"),
    "request_rating": gettext_lazy("meminta penilaian"),
    "record_rating": gettext_lazy("mencatat penilaian"),
    "close": gettext_lazy("menutup"),
    "close_without_rating": gettext_lazy("menutup tanpa penilaian"),
}


def closing_order_of(consultation: Any) -> str:
    return str(consultation.office.policy.closing_order)


def allowed_actions(status: str, closing_order: str) -> list[str]:
    """The actions the table allows from `status` (for buttons in the console)."""
    return sorted({action for (source, action) in TRANSITIONS[closing_order] if source == status})


def check_transition(consultation: Any, action: str, *, closing_order: str | None = None) -> str:
    """The status `action` leads to from the consultation's status; InvalidTransition (with a message saying why
    and what to do instead) when the table does not allow it."""
    order = closing_order or closing_order_of(consultation)
    status = consultation.status
    target = TRANSITIONS[order].get((status, action))
    if target is not None:
        return target
    raise InvalidTransition(_refusal(status, action, order))


def _refusal(status: str, action: str, order: str) -> str:
    if action == "record_rating" and order == ClosingOrder.CLOSE_THEN_RATE and status != Status.CLOSED:
        return _("Kantor ini menutup konsultasi sebelum penilaian: tutup konsultasi dulu, lalu minta penilaian.")
    if (
        action == "close"
        and order == ClosingOrder.RATE_THEN_CLOSE
        and status
        in (
            Status.ANSWERED,
            Status.AWAITING_RATING,
        )
    ):
        return _(
            "Kantor ini meminta penilaian sebelum menutup konsultasi: minta penilaian dulu, atau tutup tanpa "
            "penilaian bila pengguna tidak menilai dalam %(hours)d jam."
        ) % {"hours": int(RATING_WAIT.total_seconds() // 3600)}
    if action == "request_rating" and order == ClosingOrder.CLOSE_THEN_RATE and status != Status.CLOSED:
        return _("Kantor ini meminta penilaian setelah konsultasi ditutup: tutup konsultasi dulu.")
    if status == Status.CLOSED:
        return _("Konsultasi sudah ditutup: tindakan '%(action)s' tidak dapat dilakukan.") % {
            "action": ACTION_LABELS.get(action, action)
        }
    if action in ("answer", "request_rating", "close") and status in (
        Status.NEW,
        Status.AWAITING_REQUIREMENTS,
    ):
        return _("Konsultasi belum terbuka: permintaan harus dinyatakan jelas dan persyaratan lengkap lebih dahulu.")
    if action in ("request_rating", "close", "record_rating") and status == Status.OPEN:
        return _("Konsultasi belum dijawab: tandai terjawab dulu.")
    return _("Tindakan '%(action)s' tidak diizinkan saat konsultasi berstatus '%(status)s'.") % {
        "action": ACTION_LABELS.get(action, action),
        "status": Status(status).label,
    }
