"""The supervisor's queues and the officers' deadline warnings: each consultation in the right queue, assign /
transfer / reopen from the queue, another office's supervisor gets 404, and the cost of every supervisor page does
not depend on the number of offices (5100's supervisor over 40 generated offices)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pstdesk.accounts.models import User
from pstdesk.audit.models import AuditLog
from pstdesk.complaints.tests.factories import make_consultation
from pstdesk.conftest import make_user
from pstdesk.consultations.models import Consultation, Status
from pstdesk.guestbook.models import Visitor
from pstdesk.offices.models import Office, OfficeKind, ServiceStandard
from pstdesk.supervision.actions import warn_deadlines
from pstdesk.supervision.models import DeadlineNotice

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db


def wita(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WITA)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section(html: str, key: str) -> str:
    start = html.index(f'id="{key}"')
    end = html.find("<section", start + 1)
    return html[start : end if end != -1 else len(html)]


@pytest.fixture
def scene(office_5102: Office, officer_5102: User, officer2_5102: User) -> dict[str, Consultation]:
    """Tabanan on Wednesday 25 November 2026 at 10:00 WITA (Thursday closes 16:00)."""
    now = wita(25, 10)
    at_risk = make_consultation("5102", started=wita(20, 10), assigned_to=officer_5102)  # due Wed 25 16:00
    overdue = make_consultation("5102", started=wita(17, 10), assigned_to=officer_5102)  # due Fri 20
    later = make_consultation("5102", started=wita(25, 9), assigned_to=officer_5102)  # due Mon 30
    visitor = Visitor.objects.create(name="Komang")
    unassigned = Consultation.objects.create(office_id="5102", visitor=visitor, channel="whatsapp")
    Consultation.objects.filter(pk=unassigned.pk).update(created_at=now - timedelta(hours=2))
    fresh = Consultation.objects.create(office_id="5102", visitor=visitor, channel="email")
    Consultation.objects.filter(pk=fresh.pk).update(created_at=now - timedelta(minutes=5), assigned_to=officer_5102)
    waiting = Consultation.objects.create(
        office_id="5102", visitor=visitor, channel="livechat_website", assigned_to=officer2_5102
    )
    Consultation.objects.filter(pk=waiting.pk).update(clarification_asked_at=now - timedelta(hours=1))
    closed = make_consultation("5102", started=wita(23, 10), assigned_to=officer_5102)
    Consultation.objects.filter(pk=closed.pk).update(
        status=Status.CLOSED, closed_at=wita(24, 10), answered_at=wita(24, 9)
    )
    return {
        "at_risk": at_risk,
        "overdue": overdue,
        "later": later,
        "unassigned": unassigned,
        "fresh": fresh,
        "waiting": waiting,
        "closed": closed,
    }


def test_each_consultation_is_in_its_queue(scene: dict[str, Consultation], supervisor_5102: User) -> None:
    with time_machine.travel(wita(25, 10), tick=False):
        client = client_for(supervisor_5102)
        html = client.get("/pengawasan/antrean/").content.decode()

    def ids(key: str) -> set[int]:
        part = section(html, key)
        return {c.pk for c in scene.values() if f'data-consultation="{c.pk}"' in part}

    assert ids("at-risk") == {scene["at_risk"].pk}
    assert ids("overdue") == {scene["overdue"].pk}
    assert ids("unassigned") == {scene["unassigned"].pk}  # "fresh" is 5 minutes old and assigned
    assert scene["waiting"].pk in ids("waiting")
    assert {scene["unassigned"].pk, scene["waiting"].pk, scene["fresh"].pk} <= ids("not-clear")
    assert ids("closed") == {scene["closed"].pk}
    load = section(html, "load")
    assert "ayu" in load and "made" in load


def test_assign_transfer_and_reopen_from_the_queue(
    scene: dict[str, Consultation], supervisor_5102: User, officer_5102: User, officer2_5102: User
) -> None:
    with time_machine.travel(wita(25, 10), tick=True):
        client = client_for(supervisor_5102)
        c = scene["unassigned"]
        assert client.post(f"/pengawasan/antrean/{c.pk}/assign/", {"to": officer2_5102.pk}).status_code == 302
        c.refresh_from_db()
        assert c.assigned_to_id == officer2_5102.pk
        o = scene["overdue"]
        assert client.post(f"/pengawasan/antrean/{o.pk}/transfer/", {"to": officer2_5102.pk}).status_code == 302
        o.refresh_from_db()
        assert o.assigned_to_id == officer2_5102.pk
        assert AuditLog.objects.filter(verb="consultation.transferred", actor=supervisor_5102).exists()
        closed = scene["closed"]
        assert client.post(f"/pengawasan/antrean/{closed.pk}/reopen/").status_code == 302
        closed.refresh_from_db()
        assert closed.status == Status.NEW and closed.due_at is not None  # a new clock with the reopening


def test_another_offices_supervisor_never_sees_5102s_queues(
    scene: dict[str, Consultation], office_5101: Office, officer_5102: User
) -> None:
    outsider = make_user("koord5101", "5101", "supervisor")
    with time_machine.travel(wita(25, 10), tick=False):
        client = client_for(outsider)
        html = client.get("/pengawasan/antrean/").content.decode()
        assert all(f'data-consultation="{c.pk}"' not in html for c in scene.values())
        assert client.get("/pengawasan/antrean/?office=5102").status_code == 404
        c = scene["unassigned"]
        assert client.post(f"/pengawasan/antrean/{c.pk}/assign/", {"to": officer_5102.pk}).status_code == 404
        assert client.post(f"/pengawasan/antrean/{scene['closed'].pk}/reopen/").status_code == 404
        assert client_for(officer_5102).get("/pengawasan/antrean/").status_code == 404  # officers: not a page
    c.refresh_from_db()
    assert c.assigned_to_id is None


def test_officer_is_warned_one_working_day_and_two_working_hours_before(
    office_5102: Office, officer_5102: User, events: list[Any]
) -> None:
    c = make_consultation("5102", started=wita(23, 10), assigned_to=officer_5102)  # due Thu 26 16:00
    assert c.due_at == wita(26, 16)
    assert warn_deadlines(wita(25, 15)) == 0  # 9 working hours left
    assert warn_deadlines(wita(25, 16)) == 1  # one working day (Thursday 08:00–16:00) left
    assert warn_deadlines(wita(25, 16, 1)) == 0
    assert warn_deadlines(wita(26, 13)) == 0
    assert warn_deadlines(wita(26, 14)) == 1  # two working hours
    assert warn_deadlines(wita(26, 14, 30)) == 0
    assert list(DeadlineNotice.objects.values_list("level", flat=True).order_by("sent_at", "pk")) == ["day", "hours"]
    sent = [(groups, e) for groups, e in events if e["type"] == "deadline.warning"]
    assert [e["level"] for _g, e in sent] == ["day", "hours"]
    assert sent[0][0] == [f"user.{officer_5102.pk}"]
    assert "26 Nov 2026 16:00" in sent[0][1]["message"]
    with time_machine.travel(wita(26, 14, 30), tick=False):
        html = client_for(officer_5102).get("/console/").content.decode()
    box = html[html.index('id="deadlines"') :]
    assert f'data-consultation="{c.pk}" data-level="hours"' in box


def _generate_offices(n: int) -> None:
    template = ServiceStandard.objects.filter(office_id="5102").order_by("-version").first()
    assert template is not None
    visitor = Visitor.objects.create(name="Pengguna")
    for i in range(n):
        code = f"{5103 + i}"
        office = Office(code=code, name=f"BPS Kabupaten Uji {i}", kind=OfficeKind.REGENCY, parent_id="5100")
        office.parent = Office.objects.get(code="5100")
        office.save()
        template.pk = None
        template.office = office
        template.save()
        officer = make_user(f"petugas{code}", code)
        Consultation.objects.create(office=office, visitor=visitor, channel="whatsapp", assigned_to=officer)
        Consultation.objects.create(office=office, visitor=visitor, channel="whatsapp")


@pytest.mark.parametrize("url", ["/console/", "/pengawasan/antrean/", "/pengawasan/jadwal/5100/", "/pengawasan/audit/"])
def test_supervisor_pages_cost_the_same_over_40_offices(
    url: str, supervisor_5100: User, officer_5102: User, office_5102: Office
) -> None:
    with time_machine.travel(wita(25, 10), tick=True):
        client = client_for(supervisor_5100)
        assert client.get(url).status_code == 200  # warm the session and content types
        make_consultation("5102", started=wita(20, 10), assigned_to=officer_5102)
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        _generate_offices(40)
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"][:120] for q in many.captured_queries]
    if url == "/console/":
        # the staffing banner names the generated offices (nobody on duty, 2 required): all 40 in 3 queries
        assert response.content.decode().count("BPS Kabupaten Uji") >= 40
