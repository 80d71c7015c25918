"""The lean append: a LiveChat message stored in the consultation its socket holds, in one round trip.

`receive_message` (consultations) is the way in for every channel, and the widget keeps using it whenever the
common case does not hold: the first message (no consultation yet), a closed consultation (reopened or a new one),
a resend of a stored client id, a message with files. The common case is a visitor writing in an active
consultation the socket already holds; for it, `append_visitor_message` does what `receive_message` does for that
case, and nothing more:

- one statement on PostgreSQL (a CTE takes the next seq with `UPDATE … RETURNING` and inserts the message from
  it), autocommit: the statement is its own transaction. On SQLite (no UPDATE in a CTE) the same two statements in
  one IMMEDIATE transaction. The row lock (PostgreSQL) or write lock (SQLite) the update takes serialises writers of
  one consultation, so seqs are gapless and commit in order;
- exactly once per client id: the update only matches when no message has that (channel, external_id); a racing
  insert of the same id fails the unique constraint, which rolls the whole statement (or transaction) back, seq
  included. Either way the caller falls back to `receive_message`, which returns the stored message;
- office isolation and identity: the update matches only the held consultation of the socket's office and visitor,
  while it is not closed and the visitor is not merged into another identity;
- no audit row (an inbound message writes one only when it opens or reopens a consultation: never here);
- the events of `effects.publish_message` (the staff view to the office group, the public view to the consultation
  group), returned to the caller, which publishes them from the event loop after the commit;
- the follow-ups of `receive_message` (requirements, a clarification answer, auto-assignment, the out-of-hours
  reply) run after the commit exactly as there, and only when one can change something: the columns the update
  returns (status, assignee, clarification) and the office's cached calendar decide, with no read.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from pstdesk.channels.base import InboundMessage
from pstdesk.consultations.actions.intake import follow_up_inbound
from pstdesk.consultations.models import (
    Attachment,
    Consultation,
    DeliveryStatus,
    Direction,
    Message,
    MessageKind,
    Status,
)
from pstdesk.consultations.serializers import message_dict
from pstdesk.guestbook.models import Visitor
from pstdesk.lib import workdays
from pstdesk.lib.events import consultation_group, office_group
from pstdesk.lib.workdays import WorkCalendar
from pstdesk.offices.calendar import CalendarNotConfigured, calendar_for, years_for
from pstdesk.offices.hooks import on_calendar_changed
from pstdesk.offices.models import Office


@dataclass(frozen=True)
class Held:
    """The consultation a visitor's socket holds: found when the socket says hello or opens one, then used for
    every message without being read again."""

    consultation_id: int
    office_code: str
    visitor_id: int
    channel: str


@dataclass(frozen=True)
class Appended:
    """A message stored by the lean append, with what the consultation's row said when it took its seq."""

    message: Message
    status: str
    assigned_to_id: int | None
    clarification_pending: bool
    at: datetime

    @property
    def events(self) -> list[tuple[list[str], dict[str, Any]]]:
        """The `message.created` events of `effects.publish_message`, as (groups, event) pairs in order."""
        message = self.message
        office: str = message.consultation.office_id
        base = {
            "type": "message.created",
            "consultation": message.consultation_id,
            "office": office,
            "seq": message.seq,
        }
        staff = message_dict(message, for_staff=True)
        public = message_dict(message, for_staff=False)
        return [
            ([office_group(office)], {**base, "message": staff}),
            ([consultation_group(message.consultation_id)], {**base, "message": public}),
        ]


# --- the statement ---------------------------------------------------------------------------------------------

_RETURNS = ("last_seq", "status", "assigned_to", "clarification_asked_at", "clarification_answered_at")


def _q(name: str) -> str:
    return str(connection.ops.quote_name(name))


def _col(model: Any, name: str) -> str:
    field = model._meta.get_field(name)
    return _q(field.column)


@functools.cache
def _message_fields() -> list[Field[Any, Any]]:
    return [f for f in Message._meta.concrete_fields if not f.primary_key]


def _seq_update_sql() -> str:
    c, v, m = Consultation, Visitor, Message
    returning = ", ".join(_col(c, name) for name in ("id", *_RETURNS))
    return (
        f"UPDATE {_q(c._meta.db_table)} SET {_col(c, 'last_seq')} = {_col(c, 'last_seq')} + 1, "
        f"{_col(c, 'last_inbound_at')} = %s, {_col(c, 'updated_at')} = %s "
        f"WHERE {_col(c, 'id')} = %s AND {_col(c, 'office')} = %s AND {_col(c, 'visitor')} = %s "
        f"AND {_col(c, 'channel')} = %s AND {_col(c, 'status')} <> %s "
        f"AND NOT EXISTS (SELECT 1 FROM {_q(v._meta.db_table)} WHERE {_col(v, 'id')} = %s "
        f"AND {_col(v, 'merged_into')} IS NOT NULL) "
        f"AND NOT EXISTS (SELECT 1 FROM {_q(m._meta.db_table)} WHERE {_col(m, 'channel')} = %s "
        f"AND {_col(m, 'external_id')} = %s) "
        f"RETURNING {returning}"
    )


def _values(message: Message) -> list[Any]:
    """The message's database values in `_message_fields` order, except the consultation and seq (taken from the
    update)."""
    return [
        field.get_db_prep_save(field.pre_save(message, add=True), connection)
        for field in _message_fields()
        if field.name not in ("consultation", "seq")
    ]


def _update_params(held: Held, external_id: str, at: datetime) -> list[Any]:
    stamp = Consultation._meta.get_field("updated_at").get_db_prep_save(at, connection)
    return [
        stamp,
        stamp,
        held.consultation_id,
        held.office_code,
        held.visitor_id,
        held.channel,
        Status.CLOSED,
        held.visitor_id,
        held.channel,
        external_id,
    ]


@functools.cache
def _statements(vendor: str) -> tuple[str, str]:
    """The two statements of a backend, built once: PostgreSQL's CTE, or SQLite's seq update and its insert."""
    m, c = Message, Consultation
    columns = ", ".join(_q(str(f.column)) for f in _message_fields() if f.name not in ("consultation", "seq"))
    placeholders = ", ".join(["%s"] * (len(_message_fields()) - 2))
    into = f"INSERT INTO {_q(m._meta.db_table)} ({_col(m, 'consultation')}, {_col(m, 'seq')}, {columns})"
    if vendor == "postgresql":
        returned = ", ".join(f"c.{_col(c, name)}" for name in _RETURNS)
        return (
            f"WITH c AS ({_seq_update_sql()}), "
            f"m AS ({into} SELECT c.{_col(c, 'id')}, c.{_col(c, 'last_seq')}, {placeholders} "
            f"FROM c RETURNING {_col(m, 'id')}) "
            f"SELECT m.{_col(m, 'id')}, {returned} FROM m CROSS JOIN c"
        ), ""
    return _seq_update_sql(), f"{into} VALUES (%s, %s, {placeholders}) RETURNING {_col(m, 'id')}"


def _postgresql(held: Held, message: Message, at: datetime) -> tuple[Any, ...] | None:
    sql, _unused = _statements("postgresql")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_update_params(held, message.external_id or "", at), *_values(message)])
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def _sqlite(held: Held, message: Message, at: datetime) -> tuple[Any, ...] | None:
    update, insert = _statements(connection.vendor)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(update, _update_params(held, message.external_id or "", at))
        taken = cursor.fetchone()
        if taken is None:
            return None
        cursor.execute(insert, [taken[0], taken[1], *_values(message)])
        inserted = cursor.fetchone()
    return (inserted[0], *taken[1:])


def _aware(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        moment = parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def append_visitor_message(held: Held, *, external_id: str, body: str) -> Appended | None:
    """Store a visitor's text message (body and client id already checked) in the held consultation, exactly once
    per client id, at its next seq. None when the common case does not hold (the consultation is closed or gone,
    the visitor merged, the client id stored already): then the caller goes through `receive_message`.
    Follow-ups are not run here (see `follow_up`). Inside a transaction (the writer's batch) it joins it, and a
    failure is raised for the batch to roll back."""
    at = timezone.now()
    message = Message(
        seq=0,
        direction=Direction.IN,
        kind=MessageKind.MESSAGE,
        channel=held.channel,
        body=body,
        payload={},
        author=None,
        external_id=external_id,
        is_automatic=False,
        delivery_status=DeliveryStatus.NONE,
        created_at=at,
    )
    in_batch = connection.in_atomic_block  # the writer's group commit: a failure is the whole batch's
    try:
        if connection.vendor == "postgresql":
            row = _postgresql(held, message, at)
        else:
            row = _sqlite(held, message, at)
    except IntegrityError:  # the same client id stored by a racing socket: nothing of this one was kept
        if in_batch:
            raise
        return None
    if row is None:
        return None
    message_id, seq, status, assigned_to_id, asked, answered = row
    message.pk = message_id
    message.seq = int(seq)
    consultation = Consultation(
        pk=held.consultation_id,
        office_id=held.office_code,
        visitor_id=held.visitor_id,
        channel=held.channel,
        status=status,
        assigned_to_id=assigned_to_id,
        last_seq=int(seq),
    )
    message.consultation = consultation
    _no_attachments(message)
    return Appended(
        message=message,
        status=str(status),
        assigned_to_id=assigned_to_id,
        clarification_pending=_aware(asked) is not None and _aware(answered) is None,
        at=at,
    )


def _no_attachments(message: Message) -> None:
    """A text message has no attachments: serialising it reads no table."""
    cached = Attachment.objects.filter(message=message)
    cached._result_cache = []
    cached._prefetch_done = True  # type: ignore[attr-defined]
    message._prefetched_objects_cache = {"attachments": cached}  # type: ignore[attr-defined]


# --- after the commit -----------------------------------------------------------------------------------------

# An office's calendar is kept this long in the process (a change made here drops it at once: `calendar_changed`;
# one made by another process is seen within this time).
CALENDAR_SECONDS = 60.0
_calendars: dict[tuple[str, tuple[int, ...]], tuple[float, WorkCalendar | None]] = {}


def office_calendar(office_code: str, at: datetime) -> WorkCalendar | None:
    """The office's working calendar around `at`, cached; None when the office has no service standard."""
    key = (office_code, years_for(at))
    now = time.monotonic()
    cached = _calendars.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    office = Office.objects.filter(code=office_code).first()
    cal: WorkCalendar | None = None
    if office is not None:
        try:
            cal = calendar_for(office, years=key[1])
        except CalendarNotConfigured:
            cal = None
    _calendars[key] = (now + CALENDAR_SECONDS, cal)
    return cal


@on_calendar_changed
def _forget_calendar(office: Any, **_kwargs: Any) -> None:
    code = getattr(office, "code", office)
    for key in [key for key in _calendars if key[0] == code]:
        _calendars.pop(key, None)


def needs_follow_up(appended: Appended) -> bool:
    """Whether a follow-up of `receive_message` could change anything for this message. Requirements move only a
    new consultation or one waiting for them; a clarification question waits for its answer; an unassigned one is
    auto-assigned; the out-of-hours reply is due only while the office is closed (the cached calendar says so)."""
    if appended.status in (Status.NEW, Status.AWAITING_REQUIREMENTS):
        return True
    if appended.clarification_pending or appended.assigned_to_id is None:
        return True
    cal = office_calendar(appended.message.consultation.office_id, appended.at)
    return cal is not None and not workdays.is_open(cal, appended.at)


def follow_up(appended: Appended) -> int:
    """Run the follow-ups of `receive_message` for a message stored by the lean append (after its commit; each
    one's failure is logged and never loses the message). Returns the consultation's last seq afterwards."""
    consultation = Consultation.objects.select_related("office", "visitor").get(pk=appended.message.consultation_id)
    inbound = InboundMessage(
        channel=appended.message.channel,
        office_code=consultation.office_id,
        external_id=appended.message.external_id or "",
        body=appended.message.body,
        visitor_id=consultation.visitor_id,
    )
    with consultation.office.standard_pinned():
        follow_up_inbound(consultation, inbound, appended.at)
    return int(Consultation.objects.values_list("last_seq", flat=True).get(pk=consultation.pk))
