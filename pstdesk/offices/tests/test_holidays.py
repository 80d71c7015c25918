"""Estimated holidays (issue 12, item 4): the calendar marks the dates the `holidays` library estimates; an
administrator confirms, moves or removes a holiday, and the open consultations' deadlines are recomputed (the
event reaches open consoles)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from pstdesk.accounts.models import User
from pstdesk.audit.models import AuditLog
from pstdesk.consultations import actions as core
from pstdesk.consultations.models import Consultation
from pstdesk.consultations.tests.conftest import complete_requirements, events, make_inbound  # noqa: F401
from pstdesk.lib.actors import SystemActor
from pstdesk.lib.errors import InvalidInput, NotAllowed
from pstdesk.offices.calendar import calendar_for, holiday_rows, national_holidays
from pstdesk.offices.holidays import decide_holiday
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db

IDUL_FITRI_2027 = dt.date(2027, 3, 10)  # "Hari Raya Idul Fitri (perkiraan)" in holidays 0.x


def test_estimated_dates_are_marked(office_5102: Office) -> None:
    assert national_holidays((2027,))[IDUL_FITRI_2027].endswith("(perkiraan)")
    rows = {row["date"]: row for row in holiday_rows(office_5102, [2027])}
    assert rows[IDUL_FITRI_2027]["estimated"] is True and "(perkiraan)" not in str(rows[IDUL_FITRI_2027]["name"])
    assert rows[dt.date(2027, 1, 1)]["estimated"] is False  # New Year is fixed by law


def test_confirm_move_remove_change_the_calendar(office_5102: Office, admin_5102: User) -> None:
    decide_holiday(office_5102, date=IDUL_FITRI_2027, decision="confirmed", by=admin_5102)
    rows = {row["date"]: row for row in holiday_rows(office_5102, [2027])}
    assert rows[IDUL_FITRI_2027]["estimated"] is False and rows[IDUL_FITRI_2027]["decision"] == "confirmed"
    assert IDUL_FITRI_2027 in calendar_for(office_5102, years=[2027]).holidays

    decide_holiday(office_5102, date=IDUL_FITRI_2027, decision="moved", moved_to=dt.date(2027, 3, 12), by=admin_5102)
    cal = calendar_for(office_5102, years=[2027])
    assert IDUL_FITRI_2027 not in cal.holidays and dt.date(2027, 3, 12) in cal.holidays

    decide_holiday(office_5102, date=dt.date(2027, 1, 1), decision="removed", by=admin_5102)
    assert dt.date(2027, 1, 1) not in calendar_for(office_5102, years=[2027]).holidays
    assert dt.date(2027, 1, 1) in calendar_for(Office.objects.get(code="5101"), years=[2027]).holidays  # per office
    assert AuditLog.objects.filter(verb="holiday.decided", office_id="5102").count() == 3

    decide_holiday(office_5102, date=dt.date(2027, 1, 1), decision="", by=admin_5102)  # undo
    assert dt.date(2027, 1, 1) in calendar_for(office_5102, years=[2027]).holidays


def test_refusals(office_5102: Office, admin_5101: User, admin_5102: User) -> None:
    with pytest.raises(NotAllowed):
        decide_holiday(office_5102, date=IDUL_FITRI_2027, decision="removed", by=admin_5101)
    with pytest.raises(InvalidInput):
        decide_holiday(office_5102, date=dt.date(2027, 3, 3), decision="removed", by=admin_5102)  # not a holiday
    with pytest.raises(InvalidInput):
        decide_holiday(office_5102, date=IDUL_FITRI_2027, decision="moved", by=admin_5102)  # no new date


def test_deadlines_are_recomputed_and_consoles_told(
    office_5102: Office,
    admin_5102: User,
    officer_5102: User,
    events: Any,
    time_machine: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    time_machine.move_to(dt.datetime(2027, 3, 8, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)
    consultation = core.receive_message(make_inbound(office="5102")).consultation
    complete_requirements(consultation.visitor, "5102")
    core.refresh_requirements(consultation, by=SystemActor("test"))
    core.mark_request_clear(consultation, by=officer_5102)
    consultation.refresh_from_db()
    due = consultation.due_at
    assert due is not None
    events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decide_holiday(office_5102, date=IDUL_FITRI_2027, decision="removed", by=admin_5102)
    consultation.refresh_from_db()
    assert consultation.due_at is not None and consultation.due_at < due  # one working day more, so earlier
    kinds = {(event["type"], event.get("consultation")) for _groups, event in events}
    assert ("consultation.updated", consultation.pk) in kinds and ("office.updated", None) in kinds


def test_admin_page_marks_and_decides(client: Client, admin_5102: User) -> None:
    client.force_login(admin_5102)
    page = client.get("/admin/offices/officeclosure/holidays/?office=5102&year=2027")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="estimated" data-date="2027-03-10"' in html and "perkiraan" in html
    response = client.post(
        "/admin/offices/officeclosure/holidays/?office=5102&year=2027",
        {"office": "5102", "date": "2027-03-10", "decision": "moved", "moved_to": "2027-03-11"},
    )
    assert response.status_code == 302
    assert dt.date(2027, 3, 11) in calendar_for(Office.objects.get(code="5102"), years=[2027]).holidays
    assert Consultation.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_open_console_receives_the_recomputed_deadline(
    office_5102: Office, admin_5102: User, officer_5102: User
) -> None:
    """Through the real console socket (ws/console/, session cookie): the officer's open console gets the
    consultation with its new deadline, and the office event, when an admin removes a holiday."""
    from asgiref.sync import async_to_sync
    from channels.db import database_sync_to_async

    from pstdesk.consultations.tests.test_console_consumer import connect, events_until
    from pstdesk.testing.bus import flush_channel_layer

    flush_channel_layer()
    wita = dt.timezone(dt.timedelta(hours=8))
    with time_machine.travel(dt.datetime(2027, 3, 8, 10, 0, tzinfo=wita), tick=True):
        consultation = core.receive_message(make_inbound(office="5102")).consultation
        complete_requirements(consultation.visitor, "5102")
        core.refresh_requirements(consultation, by=SystemActor("test"))
        core.mark_request_clear(consultation, by=officer_5102)
        consultation.refresh_from_db()
        due = consultation.due_at
        assert due is not None

        async def run() -> dict[str, Any]:
            ws = await connect(officer_5102)
            await database_sync_to_async(decide_holiday)(
                office_5102, date=IDUL_FITRI_2027, decision="removed", by=admin_5102
            )
            frames = await events_until(
                ws, lambda f: f["type"] == "event" and f["event"]["type"] == "consultation.updated"
            )
            rest = await events_until(ws, lambda f: f["type"] == "event" and f["event"]["type"] == "office.updated")
            await ws.disconnect()
            return {"consultation": frames[-1]["event"], "office": rest[-1]["event"]}

        seen = async_to_sync(run)()
    consultation.refresh_from_db()
    assert consultation.due_at is not None and consultation.due_at < due
    event = seen["consultation"]
    assert event["consultation"] == consultation.pk
    assert dt.datetime.fromisoformat(event["data"]["due_at"]) == consultation.due_at
    assert seen["office"]["office"] == "5102"
