"""Office closures (days an office does not serve besides weekends and national holidays): add, remove, and import
from an iCalendar file. Every change recomputes the deadlines of the office's open consultations.

Only an administrator of the office (or above) may change closures (`accounts.access.can_administer`); a system
actor (`SystemActor`) or an operator's command (`CommandActor`) is accepted for imports run by operators.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from icalendar import Calendar

from pstdesk.accounts.access import can_administer
from pstdesk.audit.actions import record
from pstdesk.lib.actors import Actor, is_command, is_system, is_user
from pstdesk.lib.errors import InvalidInput, NotAllowed
from pstdesk.lib.events import office_group, publish_on_commit
from pstdesk.offices.hooks import calendar_changed
from pstdesk.offices.models import Office, OfficeClosure

# One import may add at most this many days: a whole year of closures is plausible, a decade is a mistake.
MAX_IMPORT_DAYS = 400
MAX_ICS_BYTES = 2 * 1024 * 1024
REASON_MAX = OfficeClosure._meta.get_field("reason").max_length or 200


def _check_admin(by: Actor, office: Office) -> None:
    """Admits the system, an operator's command, and a user who administers the office."""
    if not (is_system(by) or is_command(by) or (is_user(by) and can_administer(by, office))):
        raise NotAllowed(_("Hanya administrator kantor ini yang dapat mengubah hari libur kantor."))


def _changed(office: Office) -> None:
    publish_on_commit([office_group(office.code)], {"type": "office.updated", "office": office.code})


def add_closure(office: Office, *, date: dt.date, reason: str, by: Actor) -> OfficeClosure:
    """Close `office` on `date`. One audit row `closure.added`; the open consultations' deadlines move.

    Refuses (`InvalidInput`) an empty reason or a day that is already a closure, and (`NotAllowed`) a caller who
    does not administer the office; nothing changes then.
    """
    _check_admin(by, office)
    reason = (reason or "").strip()[:REASON_MAX]
    if not reason:
        raise InvalidInput(_("Alasan hari libur wajib diisi."))
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise InvalidInput(_("Tanggal tidak valid."))
    try:
        with transaction.atomic():
            closure = OfficeClosure.objects.create(office=office, date=date, reason=reason)
            record("closure.added", closure, by=by, office=office, after={"date": date.isoformat(), "reason": reason})
            calendar_changed(office, reason=f"closure {date.isoformat()} added", by=by)
            _changed(office)
    except IntegrityError:
        raise InvalidInput(_("Tanggal %(date)s sudah tercatat sebagai hari libur kantor.") % {"date": date}) from None
    return closure


def remove_closure(closure: OfficeClosure, *, by: Actor) -> None:
    """Reopen a closed day. One audit row `closure.removed`; the open consultations' deadlines move back."""
    office = closure.office
    _check_admin(by, office)
    with transaction.atomic():
        before = {"date": closure.date.isoformat(), "reason": closure.reason}
        record("closure.removed", closure, by=by, office=office, before=before)
        closure.delete()
        calendar_changed(office, reason=f"closure {before['date']} removed", by=by)
        _changed(office)


@dataclass
class ImportResult:
    """What an iCal import did: the days it added, and the days or events it skipped with the reason."""

    added: list[dt.date] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _event_days(event: Any, zone: ZoneInfo) -> list[dt.date]:
    """The office-local days an event covers. All-day events end the day before DTEND (RFC 5545 exclusive end);
    timed events cover every day they touch."""
    start = event.get("DTSTART")
    if start is None:
        raise ValueError("event without DTSTART")
    begin = start.dt
    end_prop = event.get("DTEND")
    end = end_prop.dt if end_prop is not None else None
    if end is None and event.get("DURATION") is not None:
        end = begin + event.get("DURATION").dt
    if isinstance(begin, dt.datetime):
        begin_local = begin.astimezone(zone) if begin.tzinfo else begin.replace(tzinfo=zone)
        if end is None:
            end_local = begin_local
        else:
            if not isinstance(end, dt.datetime):
                raise ValueError("DTSTART and DTEND differ in type")
            end_local = end.astimezone(zone) if end.tzinfo else end.replace(tzinfo=zone)
            # An event ending exactly at midnight does not touch the next day.
            if end_local > begin_local and end_local.time() == dt.time(0):
                end_local -= dt.timedelta(microseconds=1)
        first, last = begin_local.date(), end_local.date()
    else:
        first = begin
        last = (end - dt.timedelta(days=1)) if isinstance(end, dt.date) and end > begin else begin
    if last < first:
        raise ValueError("DTEND before DTSTART")
    count = (last - first).days + 1
    if count > MAX_IMPORT_DAYS:
        raise ValueError(f"event spans {count} days")
    return [first + dt.timedelta(days=k) for k in range(count)]


def import_closures_ical(office: Office, ics_bytes: bytes, *, by: Actor) -> ImportResult:
    """Add the days of every event of an iCalendar file as closures of `office` (SUMMARY becomes the reason).

    Days already closed are skipped; recurring events (RRULE) are skipped with a note rather than guessed. The
    import is all or nothing: a file that does not parse, or holds more than MAX_IMPORT_DAYS days, raises
    `InvalidInput` and adds nothing. One audit row `closure.imported` and one recomputation for the whole file.
    """
    _check_admin(by, office)

    if len(ics_bytes) > MAX_ICS_BYTES:
        raise InvalidInput(_("Berkas iCal terlalu besar."))
    try:
        calendar = Calendar.from_ical(ics_bytes)
    except Exception as exc:  # icalendar raises ValueError and friends on malformed input
        raise InvalidInput(_("Berkas iCal tidak dapat dibaca: %(error)s") % {"error": exc}) from None
    zone = ZoneInfo(office.timezone)
    result = ImportResult()
    wanted: dict[dt.date, str] = {}
    for event in calendar.walk("VEVENT"):
        summary = str(event.get("SUMMARY") or "").strip() or _("Hari libur kantor")
        if event.get("RRULE") is not None:
            result.skipped.append(_("%(summary)s: acara berulang (RRULE) tidak diimpor") % {"summary": summary})
            continue
        try:
            days = _event_days(event, zone)
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidInput(
                _("Acara %(summary)s tidak valid: %(error)s") % {"summary": summary, "error": exc}
            ) from None
        for day in days:
            wanted.setdefault(day, summary[:REASON_MAX])
    if len(wanted) > MAX_IMPORT_DAYS:
        raise InvalidInput(_("Terlalu banyak hari dalam satu impor (paling banyak %(n)s).") % {"n": MAX_IMPORT_DAYS})
    with transaction.atomic():
        existing = set(OfficeClosure.objects.filter(office=office, date__in=wanted).values_list("date", flat=True))
        new = [
            OfficeClosure(office=office, date=day, reason=reason)
            for day, reason in sorted(wanted.items())
            if day not in existing
        ]
        OfficeClosure.objects.bulk_create(new)
        result.added = [closure.date for closure in new]
        result.skipped += [_("%(date)s sudah tercatat") % {"date": day.isoformat()} for day in sorted(existing)]
        record(
            "closure.imported",
            office,
            by=by,
            office=office,
            after={"added": [day.isoformat() for day in result.added], "skipped": result.skipped[:100]},
        )
        if result.added:
            calendar_changed(office, reason=f"{len(result.added)} closures imported", by=by)
            _changed(office)
    return result
