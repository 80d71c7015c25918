"""The audit viewer: filters, CSV export, office scope (5101's supervisor never sees 5102's rows), and the
read-only inspektorat role."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from pstdesk.audit.actions import record
from pstdesk.conftest import make_user
from pstdesk.consultations.tests.test_console_views import ready_consultation

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def test_audit_viewer_filters_exports_and_keeps_offices_apart(office_5102, office_5101, officer_5102, supervisor_5102):
    c = ready_consultation("5102")
    record("test.secret_5102", office_5102, by=officer_5102, office=office_5102, after={"marker": "RAHASIA5102"})
    client = client_for(supervisor_5102)
    html = client.get("/pengawasan/audit/").content.decode()
    assert "RAHASIA5102" in html and "consultation.request_clear" in html
    only = client.get(f"/pengawasan/audit/?subject=consultation&id={c.pk}").content.decode()
    assert "consultation.request_clear" in only and "RAHASIA5102" not in only
    by_actor = client.get("/pengawasan/audit/?actor=ayu&verb=test.").content.decode()
    assert "RAHASIA5102" in by_actor
    assert "RAHASIA5102" not in client.get("/pengawasan/audit/?start=2099-01-01").content.decode()
    response = client.get(f"/pengawasan/audit/?subject=consultation&id={c.pk}&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0][:5] == ["id", "created_at", "office", "actor", "verb"]
    assert {row[4] for row in table[1:]} >= {"consultation.opened", "consultation.request_clear"}

    outsider = client_for(make_user("koord5101", "5101", "supervisor"))
    assert "RAHASIA5102" not in outsider.get("/pengawasan/audit/").content.decode()
    assert outsider.get("/pengawasan/audit/?office=5102").status_code == 404
    csv_out = outsider.get("/pengawasan/audit/?format=csv")
    assert b"RAHASIA5102" not in b"".join(csv_out.streaming_content)
    assert client_for(officer_5102).get("/pengawasan/audit/").status_code == 404  # officers: not a page


def test_inspektorat_reads_but_cannot_act(office_5102, officer_5102, officer2_5102):
    c = ready_consultation("5102")
    record("test.secret_5102", office_5102, by=officer_5102, office=office_5102, after={"marker": "RAHASIA5102"})
    inspector = make_user("inspektorat", "5100", "inspectorate")
    client = client_for(inspector)
    assert "RAHASIA5102" in client.get("/pengawasan/audit/").content.decode()
    assert client.get(f"/console/{c.pk}/").status_code == 200  # may read the transcript
    refused = client.post(f"/console/{c.pk}/note/", {"body": "catatan"})
    assert refused.status_code == 403 and refused.json()["error"]
    assert client.post("/console/duty/", {"on_duty": "1"}).status_code == 403
    assert client.get("/pengawasan/antrean/").status_code == 404
    assert client.post(f"/pengawasan/antrean/{c.pk}/transfer/", {"to": officer2_5102.pk}).status_code == 404
    assert client.get("/pengawasan/jadwal/5102/").status_code == 404
    c.refresh_from_db()
    assert c.assigned_to_id != officer2_5102.pk
