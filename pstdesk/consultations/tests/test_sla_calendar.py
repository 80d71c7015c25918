"""The SLA with the database: an office's calendar, the stored deadlines, and their recomputation when the
calendar changes (closures added, removed or imported; hours changed by a new standard version)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from pstdesk.audit.models import AuditLog
from pstdesk.complaints.tests.factories import make_consultation
from pstdesk.consultations.actions import recompute_office_due_dates
from pstdesk.consultations.models import Consultation, Status
from pstdesk.consultations.sla import sla_fields_for
from pstdesk.lib import workdays as wd
from pstdesk.lib.actors import SystemActor
from pstdesk.lib.errors import InvalidInput, NotAllowed
from pstdesk.offices.calendar import (
    CalendarNotConfigured,
    calendar_for,
    is_office_open,
    next_office_opening,
)
from pstdesk.offices.closures import add_closure, import_closures_ical, remove_closure
from pstdesk.offices.models import Office, OfficeClosure

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db


def wita(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=WITA)


def test_calendar_for_reads_the_standard_holidays_and_closures(office_5102: Office, office_5101: Office) -> None:
    OfficeClosure.objects.create(office=office_5102, date=date(2026, 11, 25), reason="Rapat kerja")
    cal = calendar_for(office_5102, years=[2026])
    assert cal.zone == WITA
    assert cal.hours[0] == (time(8), time(16)) and cal.hours[4] == (time(8), time(16, 30)) and cal.hours[5] is None
    assert {date(2026, 12, 24), date(2026, 12, 25), date(2026, 3, 20), date(2026, 11, 25)} <= cal.holidays
    assert cal.holiday_names[date(2026, 11, 25)] == "Rapat kerja"
    assert not wd.is_working_day(cal, date(2026, 11, 25))
    # Closures belong to their office only.
    assert wd.is_working_day(calendar_for(office_5101, years=[2026]), date(2026, 11, 25))
    assert calendar_for(office_5101, years=[2026]).hours[4] == (time(8), time(15, 30))


def test_office_open_and_next_opening(office_5102: Office) -> None:
    assert is_office_open(office_5102, wita(2026, 11, 27, 16, 15))
    assert not is_office_open(office_5102, wita(2026, 11, 28, 10))
    assert next_office_opening(office_5102, wita(2026, 11, 28, 10)) == wita(2026, 11, 30, 8)


def test_an_office_without_standard_has_no_calendar(db: None) -> None:
    office = Office.objects.create(code="9901", name="Uji", kind="regency")
    with pytest.raises(CalendarNotConfigured):
        calendar_for(office)


def test_sla_fields_for_a_consultation(office_5102: Office) -> None:
    consultation = make_consultation(office_5102)
    Consultation.objects.filter(pk=consultation.pk).update(created_at=wita(2026, 11, 23, 9))
    consultation.refresh_from_db()
    consultation.requirements_complete_at = wita(2026, 11, 23, 9, 30)
    fields = sla_fields_for(consultation)
    assert fields["sla_started_at"] is None and fields["due_at"] is None  # the request is not clear yet
    assert fields["first_response_due_at"] == wita(2026, 11, 23, 11)  # 120 working minutes from contact
    consultation.request_clear_at = wita(2026, 11, 23, 10)
    fields = sla_fields_for(consultation)
    assert fields["sla_started_at"] == wita(2026, 11, 23, 10)  # the later of the two
    assert fields["due_at"] == wita(2026, 11, 26, 16)


def test_adding_a_closure_moves_open_deadlines_and_is_audited(office_5102: Office, admin_5102: object) -> None:
    open_one = make_consultation(office_5102, started=wita(2026, 11, 23, 10))
    closed_one = make_consultation(office_5102, started=wita(2026, 11, 23, 10), status=Status.CLOSED)
    other_office = make_consultation("5101", started=wita(2026, 11, 23, 10))
    assert open_one.due_at == wita(2026, 11, 26, 16)

    add_closure(office_5102, date=date(2026, 11, 25), reason="Rapat kerja", by=admin_5102)

    open_one.refresh_from_db()
    closed_one.refresh_from_db()
    other_office.refresh_from_db()
    assert open_one.due_at == wita(2026, 11, 27, 16, 30)  # Tue, (Wed closed), Thu, Fri
    assert closed_one.due_at == wita(2026, 11, 26, 16)  # closed consultations keep their history
    assert other_office.due_at == wita(2026, 11, 26, 15, 30)
    assert AuditLog.objects.filter(verb="closure.added", office=office_5102).count() == 1
    summary = AuditLog.objects.get(verb="sla.recomputed", office=office_5102)
    assert summary.after["changed"] == 1 and summary.after["consultations"] == [open_one.pk]

    remove_closure(OfficeClosure.objects.get(office=office_5102), by=admin_5102)
    open_one.refresh_from_db()
    assert open_one.due_at == wita(2026, 11, 26, 16)
    assert AuditLog.objects.filter(verb="closure.removed").count() == 1


def test_add_closure_refuses_outsiders_and_duplicates(
    office_5102: Office, admin_5102: object, admin_5101: object, officer_5102: object
) -> None:
    for outsider in (admin_5101, officer_5102):
        with pytest.raises(NotAllowed):
            add_closure(office_5102, date=date(2026, 11, 25), reason="x", by=outsider)
    add_closure(office_5102, date=date(2026, 11, 25), reason="Rapat", by=admin_5102)
    with pytest.raises(InvalidInput):
        add_closure(office_5102, date=date(2026, 11, 25), reason="Lagi", by=admin_5102)
    with pytest.raises(InvalidInput):
        add_closure(office_5102, date=date(2026, 11, 26), reason="  ", by=admin_5102)
    assert list(OfficeClosure.objects.values_list("date", "reason")) == [(date(2026, 11, 25), "Rapat")]


def test_changing_the_hours_recomputes_deadlines(office_5102: Office) -> None:
    from pstdesk.offices.actions import revise_standard

    consultation = make_consultation(office_5102, started=wita(2026, 11, 24, 10))
    assert consultation.due_at == wita(2026, 11, 27, 16, 30)
    hours = dict(office_5102.standard.service_hours)
    hours["fri"] = ["08:00", "11:00"]
    revise_standard(office_5102, by=SystemActor("test"), changes={"service_hours": hours}, note="Jumat pendek")
    consultation.refresh_from_db()
    assert consultation.due_at == wita(2026, 11, 27, 11)
    assert AuditLog.objects.filter(verb="sla.recomputed", office=office_5102).exists()


def test_recompute_counts_only_changed_rows(office_5102: Office) -> None:
    make_consultation(office_5102, started=wita(2026, 11, 23, 10))
    make_consultation(office_5102)  # clock not started: no deadline to recompute
    assert recompute_office_due_dates(office_5102, reason="test") == 0
    OfficeClosure.objects.create(office=office_5102, date=date(2026, 11, 24), reason="x")
    assert recompute_office_due_dates(office_5102, reason="test") == 1


ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:1@test
SUMMARY:Galungan
DTSTART;VALUE=DATE:20261125
DTEND;VALUE=DATE:20261127
END:VEVENT
BEGIN:VEVENT
UID:2@test
SUMMARY:Rapat kerja
DTSTART:20261201T020000Z
DTEND:20261201T050000Z
END:VEVENT
BEGIN:VEVENT
UID:3@test
SUMMARY:Apel bulanan
DTSTART;VALUE=DATE:20261207
RRULE:FREQ=MONTHLY
END:VEVENT
END:VCALENDAR
"""


def test_import_closures_from_ical(office_5102: Office, admin_5102: object) -> None:
    consultation = make_consultation(office_5102, started=wita(2026, 11, 23, 10))
    OfficeClosure.objects.create(office=office_5102, date=date(2026, 11, 26), reason="sudah ada")

    result = import_closures_ical(office_5102, ICS, by=admin_5102)

    # All-day 25–26 (DTEND exclusive); 26 already there; the timed event covers 1 Dec; RRULE skipped.
    assert result.added == [date(2026, 11, 25), date(2026, 12, 1)]
    assert len(result.skipped) == 2
    assert OfficeClosure.objects.get(office=office_5102, date=date(2026, 11, 25)).reason == "Galungan"
    consultation.refresh_from_db()
    # Mon d0 → Tue 24, (25, 26 closed) Fri 27, (weekend) Mon 30.
    assert consultation.due_at == wita(2026, 11, 30, 16)
    assert AuditLog.objects.filter(verb="closure.imported", office=office_5102).count() == 1


def test_a_bad_ical_file_changes_nothing(office_5102: Office, admin_5102: object, officer_5102: object) -> None:
    with pytest.raises(InvalidInput):
        import_closures_ical(office_5102, b"this is not a calendar", by=admin_5102)
    huge = ICS.replace(b"DTEND;VALUE=DATE:20261127", b"DTEND;VALUE=DATE:20291127")
    with pytest.raises(InvalidInput):
        import_closures_ical(office_5102, huge, by=admin_5102)
    with pytest.raises(NotAllowed):
        import_closures_ical(office_5102, ICS, by=officer_5102)
    assert not OfficeClosure.objects.exists()
    assert not AuditLog.objects.filter(verb__startswith="closure.").exists()
