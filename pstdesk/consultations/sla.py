"""The working-day SLA of the service standard, as pure functions (re-computing an office's open deadlines is the
action `consultations.actions.deadlines`).

The rule (DESIGN.md, "Working-day SLA"; docs/sla.md):

1. The clock starts at the later of "the request arrived" and "requirements complete" (`requirements_complete_at`).
   The request arrived with the visitor's message that opened (or reopened) the consultation
   (`request_received_at`): no officer has to mark it clear for the clock to run. The one exception: an officer
   who records, within the first-response target, that the request is not yet clear and asks the visitor
   (`clarification_asked_at`, `consultations.actions.ask_clarification`) moves the request's moment to the
   visitor's answer (`clarification_answered_at`), or to an officer marking it clear (`request_clear_at`) if
   that comes first. Until both moments are known there is no deadline.
2. The start is taken in the office's time zone. A start outside service hours (before opening, at or after
   closing, on a weekend, holiday, cuti bersama or office closure) moves to the next opening; the day the clock
   (so moved) falls on is **day 0**.
3. The deadline (`due_at`) is the closing time of the N-th working day after day 0 (N = the standard's
   `sla_working_days`, 3 in both seeds).

First response: `first_response_due_at` is the moment `first_response_minutes` working minutes (office policy in
the standard) have passed since the visitor's first contact (`created_at`): service hours only, so a message at
night is due the next working morning. It is met by the first officer reply (`first_response_at`); automatic
messages do not count.

When the clock pauses while waiting on the visitor:
- Waiting for the visitor's requirements (guestbook, verified e-mail, WhatsApp number) and for the answer to a
  clarification question asked in time is *not counted*: the clock has not started yet. This is the standard's
  own condition ("after the request is clear and the requirements complete"), and it covers every case where the
  office legitimately waits on the visitor before it can work.
- Once started, the clock never pauses: the standard promises the answer within N working days of a clear,
  complete request, so any further wait (an officer's follow-up question, a visitor's silence) is the office's.
  Only the calendar stops it: nights, weekends, holidays, cuti bersama and closures are never counted, and adding
  a closure moves open deadlines (`consultations.actions.deadlines`).
- A consultation that is reopened with a new request starts a new clock with that request (the consultations
  actions reset `request_received_at` and the clarification); the old deadline is history.

The resolution deadline is met when `answered_at` ≤ `due_at` (the officer gave the statistical information), or
the consultation was closed before the deadline. Recomputations use the standard in force, so an office that
changes its hours or its N moves the deadlines of its open consultations with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from pstdesk.lib import workdays
from pstdesk.lib.workdays import WorkCalendar
from pstdesk.offices.calendar import CalendarNotConfigured, calendar_for, years_for

if TYPE_CHECKING:
    from pstdesk.consultations.models import Consultation
    from pstdesk.offices.models import Office


def sla_day_zero(start: datetime, cal: WorkCalendar) -> datetime:
    """The moment the clock effectively starts: `start` itself if the office is open then, else its next opening.
    Its office-local date is day 0."""
    return workdays.next_opening(cal, start)


def sla_due_at(start: datetime, cal: WorkCalendar, working_days: int) -> datetime:
    """The resolution deadline of a clock started at `start`: the closing time of the `working_days`-th working
    day after day 0, as an aware datetime in the calendar's zone."""
    day0 = sla_day_zero(start, cal).date()
    return workdays.closing_time(cal, workdays.add_working_days(cal, day0, working_days))


def first_response_due_at(start: datetime, cal: WorkCalendar, minutes: int) -> datetime:
    """The first-response deadline: `minutes` working minutes after `start` (service hours only)."""
    return workdays.add_working_minutes(cal, start, minutes)


def request_start_of(consultation: Consultation) -> datetime | None:
    """The moment the visitor's request counts as arrived for the clock.

    Normally the earlier of its arrival (`request_received_at`) and an officer marking it clear
    (`request_clear_at`; rows written before `request_received_at` existed have only that). After a clarification
    question asked in time: the earlier of the visitor's answer and an officer marking it clear, None while
    neither happened (the office waits on the visitor)."""
    if consultation.clarification_asked_at is not None:
        moments = [consultation.clarification_answered_at, consultation.request_clear_at]
    else:
        moments = [consultation.request_received_at, consultation.request_clear_at]
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def sla_start_of(consultation: Consultation) -> datetime | None:
    """The later of the request's moment (`request_start_of`) and requirements-complete, or None while either is
    missing."""
    request = request_start_of(consultation)
    if request is None or consultation.requirements_complete_at is None:
        return None
    return max(request, consultation.requirements_complete_at)


def office_sla_policy(office: Office) -> tuple[int, int]:
    standard = office.standard
    if standard is None:
        raise CalendarNotConfigured(f"office {office.code} has no service standard")
    return standard.sla_working_days, standard.first_response_minutes


def sla_fields_for(consultation: Consultation, *, cal: WorkCalendar | None = None) -> dict[str, Any]:
    """The SLA fields of `consultation` from its own timestamps and its office's calendar and standard:
    {"sla_started_at", "due_at", "first_response_due_at"}.

    `sla_started_at` and `due_at` are None until the request's moment and requirements-complete are both known.
    `first_response_due_at` is counted from the first contact (`created_at`, or now for an unsaved row). Pure
    apart from reading the office's standard and closures; the caller saves the fields.
    """
    office = consultation.office
    working_days, minutes = office_sla_policy(office)
    contact = consultation.created_at or timezone.now()
    start = sla_start_of(consultation)
    if cal is None:
        cal = calendar_for(office, years=set(years_for(contact)) | set(years_for(start or contact)))
    return {
        "sla_started_at": start,
        "due_at": sla_due_at(start, cal, working_days) if start is not None else None,
        "first_response_due_at": first_response_due_at(contact, cal, minutes),
    }
