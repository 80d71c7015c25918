"""Supervision reads for the reports: staffing per office per day (the roster against the audited on/off duty
history) and the transcript reviews of a period. A constant number of queries whatever the number of offices,
officers, days or rows.

Staffing per day, per office and per date in the office's zone:

- `scheduled`: officers the duty roster puts on duty for some time of that day's service hours (weekly pattern,
  minus "off" exceptions of the date, plus "on" exceptions) — the same rule as `roster.rostered_at`. The pattern
  is the one in force on that date: a weekly shift counts from the date it was added to the date it was removed
  (both read from the `roster.shift_added` / `roster.shift_removed` audit rows, which keep a removed shift's
  content); a shift without an audit row counts on every date. Date exceptions are the ones stored now;
- `on_duty`: officers actually on duty for some time of the service hours, from the audited on/off duty changes
  (`user.duty` audit rows, whoever made them: the officer, a supervisor or the roster sync);
- `hours_below_minimum`: service hours during which fewer officers than the office's minimum were actually on
  duty (`scheduled_hours_below_minimum`: the same for the roster). The minimum is the standard's where it states
  one (Tabanan: 2), else the office's own setting; with neither (Jembrana's standard is silent) there is no
  minimum: both are None and `minimum_source` is None — nothing is claimed in the standard's name;
- `hours_unstaffed`: service hours with nobody on duty at all (every office).

An officer's state before the first audited change is taken from that change's `before` (or, with no change at
all since, from their current on-duty flag): the history needs no separate table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Max, Min, Q

from pstdesk.accounts.models import User
from pstdesk.audit.models import AuditLog
from pstdesk.offices.models import Office, ServiceStandard
from pstdesk.reports.calendar import ensure_working_days
from pstdesk.reports.models import WorkingDay
from pstdesk.supervision.models import (
    ExceptionKind,
    RosterException,
    RosterShift,
    SupervisionSettings,
    TranscriptReview,
)

DUTY_VERB = "user.duty"
Interval = tuple[datetime, datetime]


@dataclass
class StaffingDay:
    """One office's staffing on one date (see the module docstring for each figure)."""

    office: str
    date: date
    open: bool
    service_hours: float
    scheduled: int
    on_duty: int
    minimum: int | None
    minimum_source: str | None  # "standard", "office" or None
    hours_below_minimum: float | None
    scheduled_hours_below_minimum: float | None
    hours_unstaffed: float

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        return data


def minimums(codes: Sequence[str]) -> dict[str, tuple[int | None, str | None]]:
    """{office code: (minimum, source)} in two queries: the newest standard's minimum where it states one, else the
    office's own setting, else (None, None)."""
    stated: dict[str, int | None] = {}
    for code, value in (
        ServiceStandard.objects.filter(office__in=codes)
        .order_by("office", "version")
        .values_list("office", "min_officers")
    ):
        stated[code] = value  # the newest version wins
    own = dict(SupervisionSettings.objects.filter(office__in=codes).values_list("office", "min_officers"))
    result: dict[str, tuple[int | None, str | None]] = {}
    for code in codes:
        if stated.get(code):
            result[code] = (int(stated[code] or 0), "standard")
        elif own.get(code):
            result[code] = (int(own[code] or 0), "office")
        else:
            result[code] = (None, None)
    return result


def _clip(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    lo, hi = window
    return [(max(a, lo), min(b, hi)) for a, b in intervals if min(b, hi) > max(a, lo)]


def _seconds_below(per_user: dict[int, list[Interval]], window: Interval, threshold: int) -> float:
    """Seconds of `window` during which fewer than `threshold` users have an interval (overlaps of one user's own
    intervals count once)."""
    events: list[tuple[datetime, int, int]] = []
    for user, intervals in per_user.items():
        for a, b in intervals:
            events.append((a, 1, user))
            events.append((b, -1, user))
    events.sort(key=lambda e: (e[0], e[1]))
    lo, hi = window
    depth: dict[int, int] = defaultdict(int)
    count, below, cursor = 0, 0.0, lo
    for moment, step, user in events:
        if count < threshold:
            below += (moment - cursor).total_seconds()
        cursor = moment
        before = depth[user] > 0
        depth[user] += step
        count += int(depth[user] > 0) - int(before)
    if count < threshold:
        below += (hi - cursor).total_seconds()
    return below


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def _duty_timelines(
    codes: Sequence[str], start: datetime, end: datetime
) -> tuple[dict[int, bool], dict[int, list[tuple[datetime, bool]]]]:
    """(state at `start` per user, changes in [start, end) per user) from the `user.duty` audit rows of the
    offices: three queries."""
    rows = AuditLog.objects.filter(verb=DUTY_VERB, subject_type=User._meta.label_lower, office_id__in=codes)
    initial: dict[int, bool] = {}
    last_before = rows.filter(created_at__lt=start).values("subject_id").annotate(last=Max("id")).values("last")
    for subject, after in AuditLog.objects.filter(pk__in=last_before).values_list("subject_id", "after"):
        initial[int(subject)] = bool((after or {}).get("on_duty"))
    changes: dict[int, list[tuple[datetime, bool]]] = defaultdict(list)
    first_in: dict[int, bool] = {}
    for subject, at, before, after in (
        rows.filter(created_at__gte=start, created_at__lt=end)
        .order_by("id")
        .values_list("subject_id", "created_at", "before", "after")
    ):
        pk = int(subject)
        first_in.setdefault(pk, bool((before or {}).get("on_duty")))
        changes[pk].append((at, bool((after or {}).get("on_duty"))))
    first_after = rows.filter(created_at__gte=end).values("subject_id").annotate(first=Min("id")).values("first")
    later = {
        int(subject): bool((before or {}).get("on_duty"))
        for subject, before in AuditLog.objects.filter(pk__in=first_after).values_list("subject_id", "before")
    }
    for pk, state in first_in.items():
        initial.setdefault(pk, state)
    for pk, state in later.items():
        initial.setdefault(pk, state)
    return initial, changes


def _on_intervals(state: bool, changes: list[tuple[datetime, bool]], start: datetime, end: datetime) -> list[Interval]:
    out: list[Interval] = []
    since: datetime | None = start if state else None
    for at, on in changes:
        if on and since is None:
            since = at
        elif not on and since is not None:
            out.append((since, at))
            since = None
    if since is not None:
        out.append((since, end))
    return out


@dataclass
class PatternShift:
    """A weekly shift with the dates it was in force (office-local; None: open-ended)."""

    user_id: int
    weekday: int
    starts: time
    ends: time
    first: date | None
    until: date | None  # exclusive: removed on this date

    def in_force(self, day: date) -> bool:
        return (self.first is None or self.first <= day) and (self.until is None or day < self.until)


def _pattern_history(codes: Sequence[str], zones: dict[str, ZoneInfo]) -> dict[str, list[PatternShift]]:
    """{office: shifts ever in the weekly pattern} from the current shifts and the roster audit rows: three
    queries."""
    audit = AuditLog.objects.filter(subject_type=RosterShift._meta.label_lower, office_id__in=codes)
    added = {
        subject: at for subject, at in audit.filter(verb="roster.shift_added").values_list("subject_id", "created_at")
    }
    out: dict[str, list[PatternShift]] = defaultdict(list)

    def local(code: str, at: datetime | None) -> date | None:
        return at.astimezone(zones[code]).date() if at is not None else None

    for shift in RosterShift.objects.filter(office_id__in=codes):
        first = local(shift.office_id, added.get(str(shift.pk)))
        out[shift.office_id].append(PatternShift(shift.user_id, shift.weekday, shift.starts, shift.ends, first, None))
    for subject, code, at, before in audit.filter(verb="roster.shift_removed").values_list(
        "subject_id", "office_id", "created_at", "before"
    ):
        try:
            shift_user, weekday = int(before["user"]), int(before["weekday"])
            starts, ends = time.fromisoformat(before["starts"]), time.fromisoformat(before["ends"])
        except (KeyError, TypeError, ValueError):  # a row without the shift's content: nothing to rebuild
            continue
        out[code].append(
            PatternShift(shift_user, weekday, starts, ends, local(code, added.get(subject)), local(code, at))
        )
    return out


def _at(day: date, clock: time | None, zone: ZoneInfo, default: datetime) -> datetime:
    return default if clock is None else datetime.combine(day, clock, tzinfo=zone)


def _rostered(
    day: date,
    window: Interval,
    zone: ZoneInfo,
    shifts: Sequence[PatternShift],
    exceptions: Sequence[RosterException],
) -> dict[int, list[Interval]]:
    """{user: intervals} the roster puts on duty within the day's service hours `window` (the rule of
    `roster.rostered_at`: the weekday's shifts, minus users with an "off" exception that date, plus "on"
    exceptions, all service hours when they name no times)."""
    per_user: dict[int, list[Interval]] = defaultdict(list)
    for shift in shifts:
        if shift.weekday == day.weekday() and shift.in_force(day):
            per_user[shift.user_id].append(
                (datetime.combine(day, shift.starts, tzinfo=zone), datetime.combine(day, shift.ends, tzinfo=zone))
            )
    for exception in exceptions:
        if exception.date == day and exception.kind == ExceptionKind.OFF:
            per_user.pop(exception.user_id, None)
    for exception in exceptions:
        if exception.date == day and exception.kind == ExceptionKind.ON:
            per_user[exception.user_id].append(
                (_at(day, exception.starts, zone, window[0]), _at(day, exception.ends, zone, window[1]))
            )
    clipped = {user: _clip(intervals, window) for user, intervals in per_user.items()}
    return {user: intervals for user, intervals in clipped.items() if intervals}


def staffing_by_day(
    offices: Sequence[Office], start: date, end: date, *, ensure_calendar: bool = True
) -> list[StaffingDay]:
    """Staffing per office per day from `start` to `end` (inclusive, office-local dates), offices in the given
    order, days in order; closed days (weekends, holidays, closures) are listed with `open` False and zeros.

    Service hours come from the working calendar rows of `reports.calendar` (`ensure_calendar=False` when the
    caller, like the report, has already made sure they are current). Eleven queries whatever the number of
    offices and days."""
    if end < start or not offices:
        return []
    codes = [office.code for office in offices]
    if ensure_calendar:
        ensure_working_days(offices, end.year)
    zones = {office.code: ZoneInfo(office.timezone) for office in offices}
    # The widest UTC span covering every office's local days.
    span_start = min(datetime.combine(start, time.min, tzinfo=z) for z in zones.values())
    span_end = max(datetime.combine(end + timedelta(days=1), time.min, tzinfo=z) for z in zones.values())

    windows: dict[tuple[str, date], Interval] = {}
    # Every calendar day has a row; a day off has an empty service window (opens == closes).
    for code, day, opens, closes in WorkingDay.objects.filter(
        office_id__in=codes, date__gte=start, date__lte=end, closes_epoch__gt=F("opens_epoch")
    ).values_list("office_id", "date", "opens_epoch", "closes_epoch"):
        zone = zones[code]
        windows[(code, day)] = (datetime.fromtimestamp(opens, zone), datetime.fromtimestamp(closes, zone))
    shifts = _pattern_history(codes, zones)
    exceptions: dict[str, list[RosterException]] = defaultdict(list)
    for exception in RosterException.objects.filter(office_id__in=codes, date__gte=start, date__lte=end):
        exceptions[exception.office_id].append(exception)
    minimum_of = minimums(codes)
    initial, changes = _duty_timelines(codes, span_start, span_end)
    staff_office: dict[int, str] = {}
    for pk, office_code, on_duty in User.objects.filter(
        Q(office_id__in=codes) | Q(pk__in=list(initial) + list(changes))
    ).values_list("pk", "office_id", "on_duty"):
        staff_office[pk] = office_code
        initial.setdefault(pk, bool(on_duty))
    actual: dict[str, dict[int, list[Interval]]] = defaultdict(dict)
    for pk, code in staff_office.items():
        if code in zones:
            intervals = _on_intervals(initial.get(pk, False), changes.get(pk, []), span_start, span_end)
            if intervals:
                actual[code][pk] = intervals

    result: list[StaffingDay] = []
    for office in offices:
        code, zone = office.code, zones[office.code]
        minimum, source = minimum_of[code]
        # Days come in order and each officer's intervals are in order: a cursor per officer skips the intervals
        # that ended before the day, so a year of a large subtree costs its intervals plus its days, not both
        # multiplied.
        cursors = dict.fromkeys(actual[code], 0)
        day = start
        while day <= end:
            window = windows.get((code, day))
            if window is None:
                result.append(StaffingDay(code, day, False, 0.0, 0, 0, minimum, source, None, None, 0.0))
                day += timedelta(days=1)
                continue
            rostered = _rostered(day, window, zone, shifts[code], exceptions[code])
            on: dict[int, list[Interval]] = {}
            for pk, intervals in actual[code].items():
                i = cursors[pk]
                while i < len(intervals) and intervals[i][1] <= window[0]:
                    i += 1
                cursors[pk] = i
                current = []
                while i < len(intervals) and intervals[i][0] < window[1]:
                    current.append(intervals[i])
                    i += 1
                clipped = _clip(current, window)
                if clipped:
                    on[pk] = clipped
            result.append(
                StaffingDay(
                    office=code,
                    date=day,
                    open=True,
                    service_hours=_hours((window[1] - window[0]).total_seconds()),
                    scheduled=len(rostered),
                    on_duty=len(on),
                    minimum=minimum,
                    minimum_source=source,
                    hours_below_minimum=_hours(_seconds_below(on, window, minimum)) if minimum else None,
                    scheduled_hours_below_minimum=(
                        _hours(_seconds_below(rostered, window, minimum)) if minimum else None
                    ),
                    hours_unstaffed=_hours(_seconds_below(on, window, 1)),
                )
            )
            day += timedelta(days=1)
    return result


def staffing_summary(days: Sequence[StaffingDay], offices: Sequence[Office]) -> list[dict[str, Any]]:
    """Per office (from `staffing_by_day`'s days, no query): working days, days and hours below the minimum
    (actual and rostered), hours with nobody on duty, and the mean number of officers scheduled and on duty per
    working day."""
    by_office: dict[str, list[StaffingDay]] = defaultdict(list)
    for item in days:
        by_office[item.office].append(item)
    out = []
    for office in offices:
        every = by_office.get(office.code, [])
        items = [i for i in every if i.open]
        minimum = every[0].minimum if every else None
        source = every[0].minimum_source if every else None
        n = len(items)

        def total(name: str, rows: list[StaffingDay] = items) -> float:
            return round(sum(getattr(i, name) or 0 for i in rows), 2)

        out.append(
            {
                "code": office.code,
                "name": office.name,
                "minimum": minimum,
                "minimum_source": source,
                "working_days": n,
                "days_below_minimum": sum(1 for i in items if i.hours_below_minimum) if minimum else None,
                "hours_below_minimum": total("hours_below_minimum") if minimum else None,
                "scheduled_hours_below_minimum": total("scheduled_hours_below_minimum") if minimum else None,
                "hours_unstaffed": total("hours_unstaffed"),
                "mean_scheduled": round(sum(i.scheduled for i in items) / n, 2) if n else None,
                "mean_on_duty": round(sum(i.on_duty for i in items) / n, 2) if n else None,
            }
        )
    return out


# --- transcript reviews ------------------------------------------------------------------------------------------

FINDINGS_LIMIT = 50


def review_results(codes: Sequence[str], start: datetime, end: datetime) -> dict[str, Any]:
    """The transcript reviews recorded in [start, end) in the offices (one query): how many, of how many officers,
    the mean score, how many the officers replied to, per checklist item the yes / no / n.a. counts, and the
    findings (items answered "no", and notes) of up to FINDINGS_LIMIT reviews."""
    reviews = list(
        TranscriptReview.objects.filter(office_id__in=codes, reviewed_at__gte=start, reviewed_at__lt=end)
        .select_related("officer")
        .order_by("reviewed_at", "pk")
    )
    items: dict[str, dict[str, Any]] = {}
    findings: list[dict[str, Any]] = []
    scores = [r.score for r in reviews if r.score is not None]
    for review in reviews:
        labels = {entry["code"]: entry["label"] for entry in review.checklist}
        for code, label in labels.items():
            counts = items.setdefault(code, {"code": code, "label": label, "yes": 0, "no": 0, "na": 0})
            counts[review.answer(code)] += 1
        for code, label in labels.items():
            note = str((review.notes or {}).get(code, "")).strip()
            if (review.answer(code) == "no" or note) and len(findings) < FINDINGS_LIMIT:
                officer = review.officer
                findings.append(
                    {
                        "review": review.pk,
                        "consultation": review.consultation_id,
                        "office": review.office_id,
                        "officer": (officer.get_full_name() or officer.username) if officer else "",
                        "item": code,
                        "label": label,
                        "answer": review.answer(code),
                        "note": note,
                    }
                )
    return {
        "reviewed": len(reviews),
        "officers": len({r.officer_id for r in reviews if r.officer_id}),
        "mean_score": round(sum(scores) / len(scores), 1) if scores else None,
        "replied": sum(1 for r in reviews if r.officer_comment),
        "items": list(items.values()),
        "findings": findings,
    }
