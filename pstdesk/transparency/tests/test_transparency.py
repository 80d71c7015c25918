"""The public transparency page and figures API: only months the service manager approved (one audited action),
frozen once approved, no personal data, each regency and the total on the province page, 404 for an unknown
office."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
import time_machine

from pstdesk.audit.models import AuditLog
from pstdesk.complaints.actions import file_complaint, handle_complaint
from pstdesk.consultations import actions
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.lib.errors import InvalidTransition, NotAllowed
from pstdesk.ratings.actions import submit_skm
from pstdesk.transparency.actions import approve_month
from pstdesk.transparency.models import PublishedMonth

pytestmark = pytest.mark.django_db

_numbers = itertools.count(500)
ALL = {f"u{i}": 4 for i in range(1, 10)}


def served(office: str, officer: Any, *, channel: str = "whatsapp", skm: dict[str, int] | None = None) -> Any:
    n = next(_numbers)
    inbound = make_inbound(
        office=office,
        channel=channel,
        sender_name="Ni Luh Rahasia",
        sender_wa_id=f"62814000{n}",
        sender_whatsapp=f"+62814000{n}",
        sender_email=f"rahasia{n}@example.test",
    )
    c = actions.receive_message(inbound).consultation
    complete_requirements(c.visitor, office)
    actions.refresh_requirements(c, by=SystemActor("test"))
    actions.assign_consultation(c, to=officer, by=SystemActor("test"))
    actions.mark_request_clear(c, by=officer)
    actions.post_reply(c, by=officer, body="Datanya di tabel 3.1")
    actions.mark_answered(c, by=officer)
    c.refresh_from_db()
    if skm:
        submit_skm(c, by=VisitorActor(c.visitor_id), answers=skm, channel=channel)
    return c


@pytest.fixture
def november(officer_5102, supervisor_5102, fake_adapter):
    """Tabanan, Tuesday 10 November 2026 10:00 WITA: three consultations (two WhatsApp, one e-mail), SKM answers,
    two complaints of which one is followed up."""
    with time_machine.travel("2026-11-10 02:00:00+00:00", tick=False):
        served("5102", officer_5102, skm=ALL)
        served("5102", officer_5102, skm={**ALL, "u3": 2, "u9": 3})
        served("5102", officer_5102, channel="email")
        first = file_complaint(office_5102(), kind="complaint", text="Lambat", contact="0812999")
        file_complaint(office_5102(), kind="complaint", text="Tidak dibalas")
        handle_complaint(first, by=supervisor_5102, response="Sudah dihubungi", upheld=False, reason="Sesuai standar")


def office_5102():
    from pstdesk.offices.models import Office

    return Office.objects.get(code="5102")


from pstdesk.consultations.tests.conftest import fake_adapter  # noqa: E402,F401


def test_only_approved_months_frozen_and_no_personal_data(november, manager_5102, officer_5102, client):
    with time_machine.travel("2026-11-20 02:00:00+00:00"):
        with pytest.raises(InvalidTransition):  # the month has not ended
            approve_month(office_5102(), by=manager_5102, year=2026, month=11)
    with time_machine.travel("2026-12-01 01:00:00+00:00"):  # 1 December 09:00 WITA
        page = client.get("/transparansi/5102/?tahun=2026").content.decode()
        assert 'id="no-months"' in page and 'class="month-row"' not in page  # nothing before approval
        assert client.get("/api/v1/offices/5102/figures?period=2026-11").status_code == 404
        with pytest.raises(NotAllowed):
            approve_month(office_5102(), by=officer_5102, year=2026, month=11)
        published = approve_month(office_5102(), by=manager_5102, year=2026, month=11)
        with pytest.raises(InvalidTransition):
            approve_month(office_5102(), by=manager_5102, year=2026, month=11)
    row = AuditLog.objects.get(verb="transparency.month_approved")
    assert row.actor_id == manager_5102.pk and row.after["figures"]["served"] == 3
    f = published.figures
    assert f["served"] == 3 and f["served_by_channel"]["whatsapp"] == 2 and f["served_by_channel"]["email"] == 1
    assert f["with_due"] == 3 and f["within_standard"] == 3
    # NRR 4 everywhere but u3 = (4+2)/2 = 3 and u9 = (4+3)/2 = 3.5: (7×4 + 3 + 3.5)/9 × 25 = 95.83
    assert f["ikm"] == 95.83 and f["mutu"] == "A" and f["skm_n"] == 2
    assert (f["complaints_received"], f["complaints_followed_up"], f["compensation_given"]) == (2, 1, 0)

    # frozen: a consultation served later in November (a late record) does not change the published month
    with time_machine.travel("2026-11-30 07:00:00+00:00", tick=False):
        served("5102", officer_5102)
    page = client.get("/transparansi/5102/?tahun=2026")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-month="11"' in html and "disetujui 1 Desember 2026" in html
    assert re.search(r'data-month="11">.*?<td>3</td>', html, re.S)
    assert PublishedMonth.objects.get().figures["served"] == 3
    # no names, e-mail addresses or numbers of visitors, officers or complainants
    for secret in ("Ni Luh Rahasia", "rahasia", "@example.test", "62814000", "0812999", officer_5102.username):
        assert secret not in html
    api = client.get("/api/v1/offices/5102/figures?period=2026-11").json()
    assert api["served"] == 3 and api["ikm"] == 95.83 and api["within_standard_percent"] == 100.0
    assert "rahasia" not in str(api).lower() and "skm_sums" not in api
    year = client.get("/api/v1/offices/5102/figures?period=2026").json()
    assert [m["period"] for m in year["months"]] == ["2026-11"] and year["total"]["served"] == 3


def test_province_page_shows_each_regency_and_the_total(november, manager_5102, officer_5101, client):
    from pstdesk.conftest import make_user

    with time_machine.travel("2026-11-12 02:00:00+00:00", tick=False):
        served("5101", officer_5101, skm={**ALL, "u1": 1})
    html = client.get("/transparansi/5100/?tahun=2026").content.decode()
    assert 'data-office="5102"' in html and 'data-office="5101"' in html and 'id="subtree-total"' not in html
    with time_machine.travel("2026-12-01 01:00:00+00:00"):
        approve_month(office_5102(), by=manager_5102, year=2026, month=11)
    html = client.get("/transparansi/5100/?tahun=2026").content.decode()
    assert re.search(r'data-office="5102">.*?<td>3</td>', html, re.S)
    assert re.search(r'data-office="5101">.*?belum ada bulan yang disetujui', html, re.S)  # 5101 approved nothing
    assert re.search(r'id="subtree-total">.*?<td>3</td>', html, re.S)
    with time_machine.travel("2026-12-02 01:00:00+00:00"):
        from pstdesk.offices.models import Office

        approve_month(Office.objects.get(code="5101"), by=make_user("pj5101", "5101", "manager"), year=2026, month=11)
    html = client.get("/transparansi/5100/?tahun=2026").content.decode()
    assert re.search(r'data-office="5101">.*?<td>1</td>', html, re.S)
    assert re.search(r'id="subtree-total">.*?<td>4</td>', html, re.S)
    data = client.get("/api/v1/offices/5100/figures?period=2026").json()
    assert {r["office"]: (r["total"] or {}).get("served") for r in data["regencies"]} == {"5101": 1, "5102": 3}
    # the total's IKM comes from all answers of the approved months, not from averaging the offices' IKMs
    total = data["total_with_regencies"]
    assert total["served"] == 4 and total["skm_n"] == 3
    # u1 = (4+4+1)/3 = 3, u3 = (4+2+4)/3, u9 = (4+3+4)/3, others 4: (3 + 10/3 + 11/3 + 6×4)/9 × 25 = 94.44
    assert total["ikm"] == 94.44


def test_unknown_office_and_bad_period(client):
    assert client.get("/transparansi/9999/").status_code == 404
    assert client.get("/api/v1/offices/9999/figures?period=2026-11").status_code == 404
    assert client.get("/api/v1/offices/5102/figures?period=2026-13").status_code == 400
    assert client.get("/api/v1/offices/5102/figures?period=kemarin").status_code == 400


def test_approval_page_for_the_manager_only(november, manager_5102, supervisor_5102, client):
    from pstdesk.conftest import make_user

    with time_machine.travel("2026-12-01 01:00:00+00:00"):
        client.force_login(supervisor_5102)
        assert client.get("/pengawasan/transparansi/5102/").status_code == 404
        client.force_login(make_user("pj5101", "5101", "manager"))
        assert client.get("/pengawasan/transparansi/5102/").status_code == 404
        client.force_login(manager_5102)
        draft = client.get("/pengawasan/transparansi/5102/?bulan=2026-11")
        assert draft.status_code == 200 and 'id="approve-form"' in draft.content.decode()
        done = client.post("/pengawasan/transparansi/5102/", {"bulan": "2026-11"})
        assert done.status_code == 302
        assert 'id="approved-note"' in client.get("/pengawasan/transparansi/5102/?bulan=2026-11").content.decode()
    assert PublishedMonth.objects.filter(office_id="5102", year=2026, month=11).count() == 1


def test_linked_from_the_standard_and_pfa_pages(client):
    assert 'href="/transparansi/5102/"' in client.get("/standar/5102/").content.decode()
    assert 'href="/transparansi/5102/"' in client.get("/pfa/5102/").content.decode()
