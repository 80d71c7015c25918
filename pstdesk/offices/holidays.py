"""An administrator's decisions on national holidays (the `holidays` library's dates, some of them estimated from
a lunar calendar): confirm, move, remove, or undo the decision. Each recomputes the deadlines of the office's open
consultations and tells the open consoles (a `consultation.updated` event per consultation whose clock runs, and
`office.updated`)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.lib.actors import Actor
from pstdesk.lib.errors import InvalidInput
from pstdesk.lib.events import office_group, publish_on_commit
from pstdesk.offices.calendar import national_holidays
from pstdesk.offices.closures import _check_admin
from pstdesk.offices.hooks import calendar_changed
from pstdesk.offices.models import HolidayDecision, HolidayOverride, Office


def _after_change(office: Office, *, reason: str, by: Actor) -> None:
    calendar_changed(office, reason=reason, by=by, announce=True)
    publish_on_commit([office_group(office.code)], {"type": "office.updated", "office": office.code})


def decide_holiday(
    office: Office, *, date: dt.date, decision: str, by: Actor, moved_to: dt.date | None = None
) -> HolidayOverride | None:
    """Record the office's decision on the national holiday of `date`: "confirmed", "moved" (to `moved_to`),
    "removed", or "" to undo an earlier decision. Refuses a date that is no national holiday and a move without
    a new date. One audit row "holiday.decided"; deadlines recomputed; consoles told."""
    _check_admin(by, office)
    names = national_holidays((date.year,))
    if date not in names:
        raise InvalidInput(_("Tanggal %(date)s bukan hari libur nasional.") % {"date": date.isoformat()})
    if decision and decision not in HolidayDecision.values:
        raise InvalidInput(_("Keputusan tidak dikenal."))
    if decision == HolidayDecision.MOVED and (moved_to is None or moved_to == date):
        raise InvalidInput(_("Pilih tanggal pengganti untuk hari libur yang dipindah."))
    with transaction.atomic():
        existing = HolidayOverride.objects.select_for_update().filter(office=office, date=date).first()
        before = {"decision": existing.decision, "moved_to": str(existing.moved_to or "")} if existing else {}
        row: HolidayOverride | None
        if not decision:
            if existing is not None:
                existing.delete()
            row = None
        else:
            row, _created = HolidayOverride.objects.update_or_create(
                office=office,
                date=date,
                defaults={
                    "decision": decision,
                    "moved_to": moved_to if decision == HolidayDecision.MOVED else None,
                    "name": names[date],
                },
            )
        record(
            "holiday.decided",
            office,
            by=by,
            office=office,
            before={"date": date.isoformat(), **before},
            after={"date": date.isoformat(), "decision": decision, "moved_to": str(moved_to or "")},
        )
        _after_change(office, reason=f"holiday {date.isoformat()} {decision or 'reset'}", by=by)
    return row
