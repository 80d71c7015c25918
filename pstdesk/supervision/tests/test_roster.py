"""A roster week: officers go on and off duty at opening and closing by the roster, not on a holiday; an officer
who goes off duty keeps that choice and hands their work over; auto-assignment never picks someone off duty nor
assigns outside service hours; coverage below the minimum warns once."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from pstdesk.accounts.models import User
from pstdesk.audit.models import AuditLog
from pstdesk.consultations.actions import receive_message, set_on_duty
from pstdesk.consultations.models import Consultation
from pstdesk.consultations.tests.conftest import make_inbound
from pstdesk.lib.errors import NotAllowed
from pstdesk.offices.models import Office
from pstdesk.supervision.actions import (
    add_roster_exception,
    add_roster_shift,
    check_coverage,
    office_minimum,
    set_office_minimum,
    sync_duty,
)
from pstdesk.supervision.models import RosterShift

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db


def wita(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WITA)


def duty() -> dict[str, bool]:
    return dict(User.objects.filter(office_id="5102", role="officer").values_list("username", "on_duty"))


def sync(at: datetime) -> dict[str, int]:
    with time_machine.travel(at, tick=False):
        return sync_duty(at)


@pytest.fixture
def week(office_5102: Office, officer_5102: User, officer2_5102: User, supervisor_5102: User) -> dict[str, Any]:
    """Ayu and Made serve Tabanan Monday to Friday during its service hours (Fri closes 16:30)."""
    User.objects.filter(pk__in=[officer_5102.pk, officer2_5102.pk]).update(on_duty=False)
    for officer in (officer_5102, officer2_5102):
        for weekday in range(5):
            ends = time(16, 30) if weekday == 4 else time(16)
            add_roster_shift(office_5102, user=officer, weekday=weekday, starts=time(8), ends=ends, by=supervisor_5102)
    return {"ayu": officer_5102, "made": officer2_5102, "office": office_5102, "koord": supervisor_5102}


def test_a_roster_week(week: dict[str, Any], events: list[Any]) -> None:
    ayu, made = week["ayu"], week["made"]
    # Monday 21 December 2026: nobody before opening, both at opening.
    sync(wita(12, 21, 7, 59))
    assert duty() == {"ayu": False, "made": False}
    assert sync(wita(12, 21, 8, 0))["on"] == 2
    assert duty() == {"ayu": True, "made": True}
    assert AuditLog.objects.filter(verb="user.duty", actor_label="system:roster").count() == 2

    # Auto-assignment picks only officers on duty: Made goes off duty (his own choice, audited) ...
    with time_machine.travel(wita(12, 21, 9, 0), tick=False):
        first = receive_message(make_inbound(body="Data PDRB Tabanan"))
    first_c = Consultation.objects.get(pk=first.consultation.pk)
    assert first_c.assigned_to_id in (ayu.pk, made.pk)
    assert first_c.assigned_to_id is not None
    holder = User.objects.get(pk=first_c.assigned_to_id)
    other = made if holder.pk == ayu.pk else ayu
    with time_machine.travel(wita(12, 21, 10, 0), tick=False):
        set_on_duty(holder, on_duty=False, by=holder)
    # ... his open consultation is handed over to the officer still on duty ...
    first_c.refresh_from_db()
    assert first_c.assigned_to_id == other.pk
    assert AuditLog.objects.filter(verb="consultation.handed_over", subject_id=str(first_c.pk)).exists()
    assert AuditLog.objects.filter(verb="user.duty", actor=holder, after__on_duty=False).exists()
    # ... the office is below Tabanan's minimum of 2 during service hours: the warning goes out once.
    warnings = [e for _g, e in events if e["type"] == "staffing.coverage"]
    assert len(warnings) == 1 and warnings[0]["on_duty"] == 1 and warnings[0]["minimum"] == 2
    for minute in (1, 2, 3):
        sync(wita(12, 21, 10, minute))  # the roster did not change: he stays off, and no new warning
    assert not User.objects.get(pk=holder.pk).on_duty
    assert len([e for _g, e in events if e["type"] == "staffing.coverage"]) == 1
    assert AuditLog.objects.filter(verb="office.coverage_below_minimum").count() == 1
    # every new consultation goes to the one on duty, never to him
    for n in range(3):
        with time_machine.travel(wita(12, 21, 11, n), tick=False):
            inbound = make_inbound(body=f"Data {n}", sender_whatsapp=f"+62812000000{n}", sender_wa_id=f"62812000000{n}")
            got = receive_message(inbound)
        assert Consultation.objects.get(pk=got.consultation.pk).assigned_to_id == other.pk

    # Closing: everybody goes off; a new drop next day warns again (the drop ended at closing).
    assert sync(wita(12, 21, 16, 0))["off"] == 1
    assert duty() == {"ayu": False, "made": False}
    # Someone who switches on at night does not get consultations: never outside service hours.
    with time_machine.travel(wita(12, 21, 20, 0), tick=False):
        set_on_duty(other, on_duty=True, by=other)
        inbound = make_inbound(body="Malam", sender_whatsapp="+6281299990000", sender_wa_id="6281299990000")
        night = receive_message(inbound)
    assert Consultation.objects.get(pk=night.consultation.pk).assigned_to_id is None
    sync(wita(12, 21, 20, 1))
    assert duty() == {"ayu": False, "made": False}

    # Tuesday opening: both on again (the roster's edge), including the one who went off on Monday.
    sync(wita(12, 22, 8, 0))
    assert duty() == {"ayu": True, "made": True}
    sync(wita(12, 22, 16, 0))
    # Thursday 24 December is cuti bersama and Friday 25 Christmas: nobody goes on duty.
    for day in (24, 25):
        sync(wita(12, day, 8, 0))
        sync(wita(12, day, 10, 0))
        assert duty() == {"ayu": False, "made": False}
    # Saturday: no shifts, nobody.
    sync(wita(12, 26, 9, 0))
    assert duty() == {"ayu": False, "made": False}


def test_an_off_exception_keeps_an_officer_off_and_warns_once(week: dict[str, Any], events: list[Any]) -> None:
    add_roster_exception(week["office"], user=week["made"], day=date(2026, 12, 22), kind="off", by=week["koord"])
    sync(wita(12, 22, 8, 0))
    assert duty() == {"ayu": True, "made": False}
    sync(wita(12, 22, 8, 1))
    assert len([e for _g, e in events if e["type"] == "staffing.coverage"]) == 1
    assert AuditLog.objects.filter(verb="roster.exception_added", actor=week["koord"]).exists()


def test_jembrana_claims_no_minimum_unless_the_office_asks(office_5101: Office, officer_5101: User) -> None:
    from pstdesk.conftest import make_user

    assert office_minimum(office_5101) == 0
    with time_machine.travel(wita(12, 21, 10, 0), tick=False):
        User.objects.filter(pk=officer_5101.pk).update(on_duty=False)
        assert check_coverage(office_5101) is False
        supervisor = make_user("koord5101", "5101", "supervisor")
        set_office_minimum(office_5101, minimum=1, by=supervisor)
        assert office_minimum(office_5101) == 1
        assert check_coverage(office_5101) is True
        assert check_coverage(office_5101) is False  # the same drop: once


def test_only_a_supervisor_of_the_office_edits_the_roster(
    office_5102: Office, officer_5102: User, officer_5101: User
) -> None:
    from pstdesk.conftest import make_user

    with pytest.raises(NotAllowed):
        add_roster_shift(office_5102, user=officer_5102, weekday=0, starts=time(8), ends=time(12), by=officer_5102)
    other_supervisor = make_user("koord5101", "5101", "supervisor")
    with pytest.raises(NotAllowed):
        add_roster_shift(office_5102, user=officer_5102, weekday=0, starts=time(8), ends=time(12), by=other_supervisor)
    assert not RosterShift.objects.exists()


def test_the_roster_page_edits_and_marks_hours_below_the_minimum(week: dict[str, Any]) -> None:
    from django.test import Client

    client = Client()
    with time_machine.travel(wita(12, 21, 9, 0), tick=True):
        client.force_login(week["koord"])
        # Made takes Tuesday 22 off: that day is below Tabanan's minimum of 2 all day.
        response = client.post(
            "/pengawasan/jadwal/5102/",
            {"op": "add_exception", "user": week["made"].pk, "day": "2026-12-22", "kind": "off", "note": "cuti"},
        )
        assert response.status_code == 302 and response["Location"] == "/pengawasan/jadwal/5102/"
        page = client.get("/pengawasan/jadwal/5102/")
    html = page.content.decode()
    assert page.status_code == 200
    monday = html[html.index('data-day="2026-12-21"') : html.index('data-day="2026-12-22"')]
    tuesday = html[html.index('data-day="2026-12-22"') : html.index('data-day="2026-12-23"')]
    assert 'class="below"' not in monday and monday.count(">2<") >= 8
    assert tuesday.count('class="below"') == 8  # 08:00 … 15:00
    thursday = html[html.index('data-day="2026-12-24"') : html.index('data-day="2026-12-25"')]
    assert "Tutup" in thursday  # cuti bersama
    # an officer, and a supervisor of another office, get 404
    client.force_login(week["ayu"])
    assert client.get("/pengawasan/jadwal/5102/").status_code == 404
    from pstdesk.conftest import make_user

    client.force_login(make_user("koord5101", "5101", "supervisor"))
    assert client.get("/pengawasan/jadwal/5102/").status_code == 404
    assert client.post("/pengawasan/jadwal/5102/", {"op": "remove_exception", "pk": 1}).status_code == 404
