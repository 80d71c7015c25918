"""Supervision actions: editing the duty roster, the office's own minimum, the periodic roster sync that puts
officers on and off duty, and the coverage warning (once per drop below the minimum)."""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.access import visible_offices
from pstdesk.accounts.models import User
from pstdesk.audit.actions import record
from pstdesk.consultations.actions import set_on_duty
from pstdesk.consultations.models import Consultation, Status
from pstdesk.lib import workdays
from pstdesk.lib.actors import Actor, SystemActor
from pstdesk.lib.errors import InvalidInput, NotAllowed
from pstdesk.lib.events import office_group, publish_on_commit, user_group
from pstdesk.offices.calendar import calendar_for, is_office_open, years_for
from pstdesk.offices.models import Office, ServiceStandard
from pstdesk.supervision.models import (
    CoverageState,
    DeadlineNotice,
    DutySync,
    ExceptionKind,
    RosterException,
    RosterShift,
    SupervisionSettings,
)
from pstdesk.supervision.queues import HORIZON, deadline_warnings
from pstdesk.supervision.roster import minimum_for, rostered_at

log = logging.getLogger(__name__)

ROSTER = SystemActor("roster")


def can_supervise(user: Any, office: Office) -> bool:
    """A supervisor, manager or admin (or superuser) whose subtree holds the office."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.sees_subtree:
        return False
    return visible_offices(user).filter(pk=office.pk).exists()


def _check_supervisor(by: Actor, office: Office) -> None:
    if not can_supervise(by, office):
        raise NotAllowed(_("Hanya koordinator kantor ini atau kantor di atasnya yang dapat mengubah jadwal tugas."))


def _check_staff(user: Any, office: Office) -> None:
    if not isinstance(user, User) or not user.is_active or user.office_id != office.pk:
        raise InvalidInput(_("Petugas yang dipilih bukan petugas aktif kantor ini."))


def add_roster_shift(office: Office, *, user: User, weekday: int, starts: time, ends: time, by: Actor) -> RosterShift:
    """Add a weekly shift: `user` serves `office` every `weekday` (0 = Monday) from `starts` to `ends`."""
    _check_supervisor(by, office)
    _check_staff(user, office)
    if weekday not in range(7):
        raise InvalidInput(_("Hari tidak dikenal."))
    if not starts < ends:
        raise InvalidInput(_("Jam selesai harus setelah jam mulai."))
    with transaction.atomic():
        shift = RosterShift.objects.create(office=office, user=user, weekday=weekday, starts=starts, ends=ends)
        record(
            "roster.shift_added",
            shift,
            by=by,
            office=office,
            after={"user": user.pk, "weekday": weekday, "starts": starts.isoformat(), "ends": ends.isoformat()},
        )
    return shift


def remove_roster_shift(shift: RosterShift, *, by: Actor) -> None:
    """Remove a weekly shift (its content stays in the audit row)."""
    _check_supervisor(by, shift.office)
    with transaction.atomic():
        record(
            "roster.shift_removed",
            shift,
            by=by,
            office=shift.office,
            before={
                "user": shift.user_id,
                "weekday": shift.weekday,
                "starts": shift.starts.isoformat(),
                "ends": shift.ends.isoformat(),
            },
        )
        shift.delete()


def add_roster_exception(
    office: Office,
    *,
    user: User,
    day: date,
    kind: str,
    by: Actor,
    starts: time | None = None,
    ends: time | None = None,
    note: str = "",
) -> RosterException:
    """Add a date exception: `off` (not serving that day) or `on` (serving, from `starts` to `ends` or all
    service hours)."""
    _check_supervisor(by, office)
    _check_staff(user, office)
    if kind not in ExceptionKind.values:
        raise InvalidInput(_("Jenis pengecualian tidak dikenal."))
    if starts is not None and ends is not None and not starts < ends:
        raise InvalidInput(_("Jam selesai harus setelah jam mulai."))
    with transaction.atomic():
        exception = RosterException.objects.create(
            office=office, user=user, date=day, kind=kind, starts=starts, ends=ends, note=(note or "").strip()[:200]
        )
        record(
            "roster.exception_added",
            exception,
            by=by,
            office=office,
            after={"user": user.pk, "date": day.isoformat(), "kind": kind, "note": exception.note},
        )
    return exception


def remove_roster_exception(exception: RosterException, *, by: Actor) -> None:
    """Remove a date exception (its content stays in the audit row)."""
    _check_supervisor(by, exception.office)
    with transaction.atomic():
        record(
            "roster.exception_removed",
            exception,
            by=by,
            office=exception.office,
            before={"user": exception.user_id, "date": exception.date.isoformat(), "kind": exception.kind},
        )
        exception.delete()


def set_office_minimum(office: Office, *, minimum: int | None, by: Actor) -> SupervisionSettings:
    """The office's own minimum of officers on duty, used where its standard states none (None: no minimum)."""
    _check_supervisor(by, office)
    if minimum is not None and not 0 <= minimum <= 50:
        raise InvalidInput(_("Minimum petugas harus antara 0 dan 50."))
    with transaction.atomic():
        settings, _created = SupervisionSettings.objects.select_for_update().get_or_create(office=office)
        before = {"min_officers": settings.min_officers}
        settings.min_officers = minimum or None
        settings.save(update_fields=["min_officers"])
        record("office.min_officers", settings, by=by, office=office, before=before, after={"min_officers": minimum})
    return settings


def staffing_message(office: Office, count: int, minimum: int, *, stated_by_standard: bool) -> str:
    """The staffing warning's text. It names the standard only where the standard states the minimum (Tabanan);
    an office's own minimum is named as the office's; with no minimum at all (Jembrana's standard is silent) the
    only warning is that nobody is on duty, with no number."""
    if minimum <= 0:
        return _("Tidak ada petugas yang bertugas di %(office)s.") % {"office": office.name}
    values = {"office": office.name, "count": count, "minimum": minimum}
    if stated_by_standard:
        return (
            _(
                "Petugas yang bertugas di %(office)s hanya %(count)d orang; standar pelayanan mensyaratkan minimal "
                "%(minimum)d."
            )
            % values
        )
    return (
        _("Petugas yang bertugas di %(office)s hanya %(count)d orang; minimum kantor %(minimum)d selama jam layanan.")
        % values
    )


def staffing_below_minimum(offices: list[Office]) -> list[tuple[Office, int, int, bool]]:
    """(office, on duty, minimum, stated by the standard) for each of `offices` with fewer officers on duty than
    its minimum (or with nobody on duty where there is no minimum), in three queries whatever the number of
    offices: the on-duty counts, the standards' minimums (newest version per office) and the offices' own
    settings."""
    codes = [office.pk for office in offices]
    counts = dict(
        User.objects.filter(office__in=codes, on_duty=True, is_active=True)
        .values("office")
        .annotate(n=Count("pk"))
        .values_list("office", "n")
    )
    minimums: dict[str, int | None] = {}
    versions = ServiceStandard.objects.filter(office__in=codes).order_by("office", "version")
    for code, value in versions.values_list("office", "min_officers"):
        minimums[code] = value  # the newest version wins
    settings = {row.office_id: row for row in SupervisionSettings.objects.filter(office__in=codes)}
    below = []
    for office in offices:
        standard_minimum = minimums.get(office.pk)
        minimum = int(standard_minimum) if standard_minimum else 0
        if not minimum and office.pk in settings:
            minimum = int(settings[office.pk].min_officers or 0)
        count = int(counts.get(office.pk, 0))
        if count < max(minimum, 1):
            below.append((office, count, minimum, bool(standard_minimum)))
    return below


def warn_deadlines(now: datetime | None = None) -> int:
    """Warn assigned officers of their deadlines: one working day before and two working hours before each
    resolution deadline (`queues.deadline_warnings` levels), once per consultation, deadline and level (claimed by
    inserting a `DeadlineNotice`). Publishes `deadline.warning` to the officer's `user.<id>`. Returns how many were
    sent."""
    now = now or timezone.now()
    officers = User.objects.filter(
        pk__in=Consultation.objects.filter(
            answered_at__isnull=True, due_at__gte=now, due_at__lt=now + HORIZON, assigned_to__isnull=False
        )
        .exclude(status=Status.CLOSED)
        .values("assigned_to")
    )
    sent = 0
    for officer in officers:
        for warning in deadline_warnings(officer, now=now):
            c = warning.consultation
            assert c.due_at is not None
            try:
                with transaction.atomic():
                    DeadlineNotice.objects.create(consultation=c, due_at=c.due_at, level=warning.level, user=officer)
                    record(
                        "consultation.deadline_warned",
                        c,
                        by=SystemActor("sla"),
                        office=c.office,
                        after={"level": warning.level, "due_at": c.due_at.isoformat(), "officer": officer.pk},
                    )
                    publish_on_commit(
                        [user_group(officer.pk)],
                        {
                            "type": "deadline.warning",
                            "consultation": c.pk,
                            "office": c.office_id,
                            "level": warning.level,
                            "due_at": c.due_at.isoformat(),
                            "message": deadline_text(c, warning.level),
                        },
                    )
            except IntegrityError:  # another worker sent it
                continue
            sent += 1
    return sent


def deadline_text(consultation: Any, level: str) -> str:
    """The officer's warning, with the deadline in the office's zone and Indonesian format."""
    due = consultation.due_at.astimezone(ZoneInfo(consultation.office.timezone))
    when = formats.date_format(due, "j M Y H:i")
    if level == "hours":
        return _("PST#%(id)s: batas waktu %(when)s, kurang dari dua jam kerja lagi.") % {
            "id": consultation.pk,
            "when": when,
        }
    return _("PST#%(id)s: batas waktu %(when)s, kurang dari satu hari kerja lagi.") % {
        "id": consultation.pk,
        "when": when,
    }


# --- on duty follows the roster -----------------------------------------------------------------------------------


def office_minimum(office: Office) -> int:
    return minimum_for(office.standard, SupervisionSettings.objects.filter(office=office).first())


def check_coverage(office: Office, *, now: datetime | None = None, is_open: bool | None = None) -> bool:
    """Warn once when fewer officers than the minimum are on duty during service hours: the first check that
    finds the drop claims `CoverageState.below_since` (NULL → now), writes one audit row and publishes
    `staffing.coverage` to the office and its supervisors; later checks of the same drop do nothing. Coverage back
    at the minimum, or the office closing, ends the drop. Returns whether this call warned."""
    now = now or timezone.now()
    if is_open is None:
        is_open = is_office_open(office, now)
    minimum = office_minimum(office)
    count = User.objects.filter(office=office, on_duty=True, is_active=True).count()
    CoverageState.objects.get_or_create(office=office)
    if not is_open or count >= minimum:
        CoverageState.objects.filter(office=office, below_since__isnull=False).update(below_since=None)
        return False
    with transaction.atomic():
        claimed = CoverageState.objects.filter(office=office, below_since__isnull=True).update(below_since=now)
        if not claimed:
            return False
        message = staffing_message(office, count, minimum, stated_by_standard=office.policy.states_officers_minimum)
        record(
            "office.coverage_below_minimum",
            office,
            by=ROSTER,
            office=office,
            after={"on_duty": count, "minimum": minimum, "at": now.isoformat()},
        )
        supervisors = User.objects.filter(
            office__in=[office.pk, *office.path.strip("/").split("/")], is_active=True
        ).exclude(role="officer")
        publish_on_commit(
            [office_group(office.pk), *(user_group(pk) for pk in supervisors.values_list("pk", flat=True))],
            {
                "type": "staffing.coverage",
                "office": office.pk,
                "on_duty": count,
                "minimum": minimum,
                "message": message,
            },
        )
    return True


def sync_office_duty(office: Office, *, now: datetime | None = None) -> dict[str, int]:
    """Make on-duty follow the roster for one office at `now`:

    - while the office is closed (night, weekend, holiday, cuti bersama, closure) nobody stays on duty;
    - while it is open, an officer whose rostered state changed since the last sync (a shift starts or ends, an
      exception begins) goes on or off duty; one who switched themself off during a shift is left off, one who
      switched on outside their shift is left on.

    Each change goes through `consultations.actions.set_on_duty` (audited, by "system:roster"; going off duty in
    service hours hands the officer's open consultations over). Then the coverage is checked. Safe to run in
    several workers at once: every change is idempotent and the warning is claimed once."""
    now = now or timezone.now()
    cal = calendar_for(office, years=years_for(now))
    is_open = workdays.is_open(cal, now)
    today = now.astimezone(cal.zone).date()
    shifts = list(RosterShift.objects.filter(office=office))
    exceptions = list(RosterException.objects.filter(office=office, date=today))
    rostered = rostered_at(cal, now, shifts, exceptions)
    staff = list(User.objects.filter(office=office, is_active=True))
    states = {s.user_id: s for s in DutySync.objects.filter(user__in=staff)}
    on = off = 0
    for user in staff:
        state = states.get(user.pk)
        was = state.rostered if state is not None else False
        now_rostered = user.pk in rostered
        target: bool | None = None
        if not is_open:
            target = False if user.on_duty else None
        elif now_rostered != was:
            target = now_rostered
        if target is not None and target != user.on_duty:
            set_on_duty(user, on_duty=target, by=ROSTER, check_coverage=False)
            on, off = (on + 1, off) if target else (on, off + 1)
        if state is None or was != now_rostered:
            DutySync.objects.update_or_create(user=user, defaults={"rostered": now_rostered, "synced_at": now})
    check_coverage(office, now=now, is_open=is_open)
    return {"on": on, "off": off}


def sync_duty(now: datetime | None = None) -> dict[str, int]:
    """`sync_office_duty` for every office with a roster or someone on duty (the periodic task, every minute)."""
    now = now or timezone.now()
    codes = set(RosterShift.objects.values_list("office_id", flat=True).distinct())
    codes |= set(RosterException.objects.values_list("office_id", flat=True).distinct())
    codes |= set(User.objects.filter(on_duty=True, office__isnull=False).values_list("office_id", flat=True))
    totals = {"on": 0, "off": 0, "offices": 0}
    for office in Office.objects.filter(code__in=codes):
        try:
            with office.standard_pinned():
                result = sync_office_duty(office, now=now)
        except Exception:  # one office's broken calendar must not stop the others
            log.exception("roster sync of office %s failed", office.pk)
            continue
        totals["on"] += result["on"]
        totals["off"] += result["off"]
        totals["offices"] += 1
    return totals
