"""The supervision page and the public complaint form: access by role and office, and the decision flow."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from pstdesk.complaints.actions import detect_breaches, open_compensation
from pstdesk.complaints.models import Compensation, CompensationStatus, Complaint
from pstdesk.complaints.tests.factories import make_consultation
from pstdesk.conftest import make_user
from pstdesk.lib.actors import SystemActor

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def overdue_case(office: str = "5102") -> Compensation:
    consultation = make_consultation(office, started=datetime(2026, 11, 23, 10, tzinfo=WITA))
    detect_breaches(datetime(2026, 12, 1, 9, tzinfo=WITA))
    return Compensation.objects.get(consultation=consultation)


def test_a_breach_shows_on_the_supervisors_page(supervisor_5102: object, supervisor_5100: object) -> None:
    case = overdue_case()
    for who in (supervisor_5102, supervisor_5100):  # the regency's coordinator and the province above it
        page = client_for(who).get(reverse("complaints:supervision"))
        assert page.status_code == 200
        html = page.content.decode()
        assert f'data-consultation="{case.consultation_id}"' in html
        assert f'data-case="{case.pk}"' in html


def test_other_offices_see_nothing_and_get_404(officer_5102: object) -> None:
    case = overdue_case()
    supervisor_5101 = make_user("sup5101", "5101", "supervisor")
    page = client_for(supervisor_5101).get(reverse("complaints:supervision"))
    assert page.status_code == 200 and f'data-case="{case.pk}"' not in page.content.decode()
    assert client_for(supervisor_5101).get(reverse("complaints:supervision") + "?office=5102").status_code == 404
    assert client_for(supervisor_5101).get(reverse("complaints:compensation", args=[case.pk])).status_code == 404
    assert client_for(supervisor_5101).get(reverse("complaints:compensation", args=[999999])).status_code == 404
    # Officers supervise nothing.
    assert client_for(officer_5102).get(reverse("complaints:supervision")).status_code == 404
    # Anonymous: to the login page.
    assert Client().get(reverse("complaints:supervision")).status_code == 302


def test_the_manager_decides_on_the_case_page(manager_5102: object, supervisor_5102: object) -> None:
    case = overdue_case()
    url = reverse("complaints:compensation", args=[case.pk])
    # A supervisor sees the case but cannot decide it.
    page = client_for(supervisor_5102).get(url)
    assert page.status_code == 200 and 'name="reason"' not in page.content.decode()
    refused = client_for(supervisor_5102).post(url, {"granted": "yes", "reason": "x", "given": "y"})
    assert refused.status_code == 400
    case.refresh_from_db()
    assert case.status == CompensationStatus.OPEN

    manager = client_for(manager_5102)
    assert 'name="reason"' in manager.get(url).content.decode()
    bad = manager.post(url, {"granted": "yes", "reason": "Terlambat", "given": ""})
    assert bad.status_code == 400
    done = manager.post(url, {"granted": "yes", "reason": "Terlambat", "given": "Permohonan maaf tertulis"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == CompensationStatus.GRANTED and case.decided_by == manager_5102
    trail = manager.get(url).content.decode()
    assert "compensation.opened" in trail and "compensation.decided" in trail


def test_open_a_case_by_hand_from_the_page(supervisor_5102: object) -> None:
    consultation = make_consultation("5102")
    other = make_consultation("5101")
    page = client_for(supervisor_5102)
    response = page.post(
        reverse("complaints:supervision"),
        {"office": "5102", "consultation": consultation.pk, "reason": "Keluhan pengguna"},
    )
    assert response.status_code == 302
    assert Compensation.objects.get().consultation == consultation
    # Another office's consultation or office is refused, nothing opened.
    page.post(reverse("complaints:supervision"), {"office": "5102", "consultation": other.pk, "reason": "x"})
    page.post(reverse("complaints:supervision"), {"office": "5101", "reason": "x"})
    assert Compensation.objects.count() == 1


def test_supervision_page_queries_do_not_grow(supervisor_5102: object, django_assert_max_num_queries: object) -> None:
    for _ in range(5):
        overdue_case()
    open_compensation(make_consultation("5102").office, by=SystemActor("sla"), reason="x")
    client = client_for(supervisor_5102)
    with django_assert_max_num_queries(15):  # type: ignore[operator]
        assert client.get(reverse("complaints:supervision")).status_code == 200


def test_public_complaint_form(office_5102: object) -> None:
    url = reverse("complaints:complaint_form", args=["5102"])
    page = Client().get(url)
    assert page.status_code == 200
    assert 'name="text"' in page.content.decode()
    assert "https://www.lapor.go.id" in page.content.decode()  # the standard's other complaint channels
    sent = Client().post(url, {"kind": "complaint", "text": "Balasan lambat", "contact": ""})
    assert sent.status_code == 200 and "complaint-thanks" in sent.content.decode()
    complaint = Complaint.objects.get()
    assert complaint.office_id == "5102" and complaint.kind == "complaint"
    empty = Client().post(url, {"kind": "complaint", "text": ""})
    assert empty.status_code == 400 and Complaint.objects.count() == 1
    assert Client().get(reverse("complaints:complaint_form", args=["9999"])).status_code == 404
