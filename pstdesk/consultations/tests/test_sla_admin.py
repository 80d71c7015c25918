"""Office closures in the admin: added and imported through the actions (deadlines move), scoped by office."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pstdesk.audit.models import AuditLog
from pstdesk.complaints.tests.factories import make_consultation
from pstdesk.consultations.tests.test_sla_calendar import ICS
from pstdesk.offices.models import OfficeClosure

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_admin_adds_a_closure_through_the_action(admin_5102: object) -> None:
    consultation = make_consultation("5102", started=datetime(2026, 11, 23, 10, tzinfo=WITA))
    response = client_for(admin_5102).post(
        "/admin/offices/officeclosure/add/", {"office": "5102", "date": "2026-11-25", "reason": "Galungan"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert OfficeClosure.objects.get().reason == "Galungan"
    assert AuditLog.objects.filter(verb="closure.added").count() == 1
    consultation.refresh_from_db()
    assert consultation.due_at == datetime(2026, 11, 27, 16, 30, tzinfo=WITA)


def test_admin_of_another_office_sees_and_adds_nothing_there(admin_5101: object) -> None:
    closure = OfficeClosure.objects.create(office_id="5102", date=date(2026, 11, 25), reason="Galungan")
    client = client_for(admin_5101)
    listing = client.get("/admin/offices/officeclosure/")
    assert listing.status_code == 200 and "Galungan" not in listing.content.decode()
    assert client.get(f"/admin/offices/officeclosure/{closure.pk}/change/").status_code == 404
    refused = client.post("/admin/offices/officeclosure/add/", {"office": "5102", "date": "2026-11-26", "reason": "x"})
    assert refused.status_code == 200  # the form refuses an office outside the admin's offices
    assert OfficeClosure.objects.count() == 1


def test_admin_imports_ical(admin_5102: object, admin_5101: object) -> None:
    upload = SimpleUploadedFile("libur.ics", ICS, content_type="text/calendar")
    response = client_for(admin_5102).post(
        "/admin/offices/officeclosure/import-ical/", {"office": "5102", "file": upload}
    )
    assert response.status_code == 302
    assert sorted(OfficeClosure.objects.values_list("date", flat=True)) == [
        date(2026, 11, 25),
        date(2026, 11, 26),
        date(2026, 12, 1),
    ]
    bad = SimpleUploadedFile("x.ics", b"garbage", content_type="text/calendar")
    response = client_for(admin_5102).post("/admin/offices/officeclosure/import-ical/", {"office": "5102", "file": bad})
    assert response.status_code == 200 and "iCal" in response.content.decode()
    upload = SimpleUploadedFile("libur.ics", ICS, content_type="text/calendar")
    client_for(admin_5101).post("/admin/offices/officeclosure/import-ical/", {"office": "5102", "file": upload})
    assert OfficeClosure.objects.filter(office_id="5101").count() == 0
    assert OfficeClosure.objects.count() == 3
