"""Staffing per day: the roster (pattern and exceptions) against the audited on/off duty history, per office and
day in the office's zone, with the hours below the minimum where the standard states one (Tabanan 2) and none
claimed where it is silent (Jembrana); the report carries it as its own section in every format, in a constant
number of queries."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pstdesk.accounts.models import User
from pstdesk.consultations.actions import set_on_duty
from pstdesk.offices.models import Office
from pstdesk.reports.calendar import ensure_working_days
from pstdesk.reports.figures import build_report
from pstdesk.reports.periods import parse_period
from pstdesk.reports.tables import build_tables
from pstdesk.supervision.actions import add_roster_exception, add_roster_shift, set_office_minimum, sync_duty
from pstdesk.supervision.queries import StaffingDay, staffing_by_day

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db


def wita(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WITA)


def at(moment: datetime, fn: Any, *args: Any, **kwargs: Any) -> Any:
    with time_machine.travel(moment, tick=False):
        return fn(*args, **kwargs)


@pytest.fixture
def week(office_5102: Office, officer_5102: User, officer2_5102: User, supervisor_5102: User) -> dict[str, Any]:
    """Ayu and Made are rostered Monday to Friday in Tabanan's service hours; Made is off on Tuesday 24 November.
    What actually happened (every change through the real actions, so audited):
    Mon 23: the roster sync puts both on at opening; Ayu goes off at 12:00; the closing sync puts Made off.
    Tue 24: the sync puts Ayu on at opening and off at closing (Made off by the exception).
    Wed 25: Made switches himself on at 07:00 and stays on (no sync runs any more)."""
    User.objects.filter(pk__in=[officer_5102.pk, officer2_5102.pk]).update(on_duty=False)
    with time_machine.travel(wita(20, 9), tick=False):  # the roster is made on Friday 20 November
        for officer in (officer_5102, officer2_5102):
            for weekday in range(5):
                ends = time(16, 30) if weekday == 4 else time(16)
                add_roster_shift(
                    office_5102, user=officer, weekday=weekday, starts=time(8), ends=ends, by=supervisor_5102
                )
    add_roster_exception(
        office_5102, user=officer2_5102, day=date(2026, 11, 24), kind="off", by=supervisor_5102, note="cuti"
    )
    at(wita(23, 8), sync_duty, wita(23, 8))
    at(wita(23, 12), set_on_duty, officer_5102, on_duty=False, by=officer_5102)
    at(wita(23, 16), sync_duty, wita(23, 16))
    at(wita(24, 8), sync_duty, wita(24, 8))
    at(wita(24, 16), sync_duty, wita(24, 16))
    at(wita(25, 7), set_on_duty, officer2_5102, on_duty=True, by=officer2_5102)
    return {"ayu": officer_5102, "made": officer2_5102}


def by_date(days: list[StaffingDay], office: str) -> dict[date, StaffingDay]:
    return {d.date: d for d in days if d.office == office}


def test_staffing_per_day_against_the_roster_and_the_audited_duty(week: dict[str, Any], office_5102: Office) -> None:
    days = by_date(staffing_by_day([office_5102], date(2026, 11, 23), date(2026, 11, 29)), "5102")
    assert sorted(days) == [date(2026, 11, d) for d in range(23, 30)]
    mon, tue, wed, thu, fri = (days[date(2026, 11, d)] for d in (23, 24, 25, 26, 27))
    assert mon.open and mon.service_hours == 8.0 and fri.service_hours == 8.5
    assert (mon.minimum, mon.minimum_source) == (2, "standard")
    # Monday: both rostered and both served; Ayu's afternoon off leaves one officer for four hours
    assert (mon.scheduled, mon.on_duty, mon.hours_below_minimum, mon.scheduled_hours_below_minimum) == (2, 2, 4.0, 0.0)
    assert mon.hours_unstaffed == 0.0
    # Tuesday: Made's leave shows in the roster itself
    assert (tue.scheduled, tue.on_duty, tue.hours_below_minimum, tue.scheduled_hours_below_minimum) == (1, 1, 8.0, 8.0)
    # Wednesday on: only Made (on since 07:00, counted from opening); Ayu never came back on
    assert (wed.scheduled, wed.on_duty, wed.hours_below_minimum, wed.hours_unstaffed) == (2, 1, 8.0, 0.0)
    assert (fri.on_duty, fri.hours_below_minimum) == (1, 8.5)
    weekend = days[date(2026, 11, 28)]
    assert not weekend.open and weekend.service_hours == 0 and weekend.hours_below_minimum is None
    # A later period starts from the state the history leaves: Made still on, Ayu still off
    later = by_date(staffing_by_day([office_5102], date(2026, 11, 26), date(2026, 11, 26)), "5102")
    assert later[date(2026, 11, 26)].on_duty == 1 and later[date(2026, 11, 26)].hours_below_minimum == 8.0


def test_scheduled_follows_the_pattern_in_force_on_each_date(
    week: dict[str, Any], office_5102: Office, supervisor_5102: User
) -> None:
    from pstdesk.supervision.actions import remove_roster_shift
    from pstdesk.supervision.models import RosterShift

    thursday = RosterShift.objects.get(user=week["ayu"], weekday=3)
    at(wita(25, 12), remove_roster_shift, thursday, by=supervisor_5102)  # from Wednesday on, Ayu no longer Thursdays
    days = by_date(staffing_by_day([office_5102], date(2026, 11, 19), date(2026, 12, 3)), "5102")
    assert days[date(2026, 11, 19)].scheduled == 0  # before the roster was made
    assert days[date(2026, 11, 23)].scheduled == 2
    assert days[date(2026, 11, 26)].scheduled == 1 and days[date(2026, 11, 26)].scheduled_hours_below_minimum == 8.0
    assert days[date(2026, 12, 3)].scheduled == 1  # a later Thursday: the removal holds
    assert days[date(2026, 12, 2)].scheduled == 2  # other weekdays unchanged


def test_jembrana_claims_no_minimum_unless_the_office_sets_one(
    office_5101: Office, officer_5101: User, supervisor_5102: User
) -> None:
    # on duty since before any audited change: the current flag is the whole history
    User.objects.filter(pk=officer_5101.pk).update(on_duty=True)
    User.objects.filter(office_id="5101").exclude(pk=officer_5101.pk).update(on_duty=False)
    days = by_date(staffing_by_day([office_5101], date(2026, 11, 23), date(2026, 11, 23)), "5101")
    monday = days[date(2026, 11, 23)]
    assert (monday.minimum, monday.minimum_source, monday.hours_below_minimum) == (None, None, None)
    assert monday.on_duty == 1 and monday.hours_unstaffed == 0.0 and monday.scheduled == 0
    admin = User.objects.create_user("koord5101", password="x", office_id="5101", role="supervisor")
    set_office_minimum(office_5101, minimum=2, by=admin)
    monday = by_date(staffing_by_day([office_5101], date(2026, 11, 23), date(2026, 11, 23)), "5101")[date(2026, 11, 23)]
    assert (monday.minimum, monday.minimum_source) == (2, "office")
    assert monday.hours_below_minimum == monday.service_hours > 0


def test_the_report_has_the_staffing_and_review_sections_in_every_format(
    week: dict[str, Any], office_5102: Office
) -> None:
    import io
    import zipfile

    import openpyxl

    from pstdesk.reports.exports import render

    now = wita(30, 12)
    report = build_report(office_5102, parse_period("2026-11"), now=now)
    staffing = report["supervision"]["staffing"]
    summary = staffing["offices"][0]
    assert summary["code"] == "5102" and summary["minimum"] == 2 and summary["minimum_source"] == "standard"
    # Mon 4 h, Tue 8 h, then Made alone Wed-Fri (8 + 8 + 8.5 h) and every working day after
    assert summary["hours_below_minimum"] >= 4.0 + 8.0 + 8.0 + 8.0 + 8.5
    monday = next(d for d in staffing["days"] if d["date"] == "2026-11-23")
    assert monday["hours_below_minimum"] == 4.0 and monday["scheduled"] == 2
    assert report["supervision"]["reviews"]["reviewed"] == 0
    slugs = [t.slug for t in build_tables(report)]
    assert {"staf", "staf_harian", "tinjauan", "temuan_tinjauan"} <= set(slugs)
    names = zipfile.ZipFile(io.BytesIO(render(report, "csv"))).namelist()
    assert any("staf_harian" in n for n in names)
    workbook = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx")))
    assert any("staf_harian" in name for name in workbook.sheetnames)
    assert render(report, "pdf").startswith(b"%PDF")


def test_constant_queries_whatever_the_offices_and_history(
    week: dict[str, Any], office_5102: Office, office_5101: Office
) -> None:
    one = [office_5102]
    ensure_working_days(one + [office_5101], 2026)
    with CaptureQueriesContext(connection) as small:
        staffing_by_day(one, date(2026, 11, 23), date(2026, 11, 23), ensure_calendar=False)
    many = list(Office.objects.all())
    ensure_working_days(many, 2026)
    with CaptureQueriesContext(connection) as large:
        staffing_by_day(many, date(2026, 11, 1), date(2026, 11, 30), ensure_calendar=False)
    assert len(many) > 2 and len(large) == len(small)
