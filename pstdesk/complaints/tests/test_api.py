"""The complaints API: staff with a token list, read, record and work complaints of their offices; another
office's complaint is a 404; bad input is a 400 with a message and stores nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from pstdesk.accounts.actions import create_api_token
from pstdesk.complaints.actions import file_complaint
from pstdesk.complaints.models import Compensation, Complaint, ComplaintNote
from pstdesk.conftest import make_user
from pstdesk.lib.actors import SystemActor
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db
BASE = "/api/v1/complaints"


def api_client(user: Any) -> Client:
    _token, raw = create_api_token(user, by=SystemActor("test"))
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_staff_record_list_read_and_work_a_complaint(
    office_5102: Office, supervisor_5102: Any, officer_5102: Any, django_capture_on_commit_callbacks: Any
) -> None:
    api = api_client(supervisor_5102)
    with django_capture_on_commit_callbacks(execute=True):
        made = api.post(
            BASE,
            data={
                "office": "5102",
                "kind": "complaint",
                "source": "lapor",
                "text": "Dari LAPOR!",
                "external_id": "991",
            },
            content_type="application/json",
        )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["tracking_number"].startswith("PGD-5102-") and body["lapor_stage"] == "forwarded"
    listed = api.get(BASE, {"status": "open", "source": "lapor"}).json()
    assert [row["id"] for row in listed["items"]] == [body["id"]]
    assert api.get(BASE, {"source": "phone"}).json()["items"] == []

    worked = api.patch(
        f"{BASE}/{body['id']}",
        data=json.dumps(
            {
                "assigned_to": officer_5102.pk,
                "note": "Diverifikasi dengan admin LAPOR!",
                "lapor_stage": "follow_up_posted",
                "answer": {"response": "Sudah ditindaklanjuti.", "upheld": True, "reason": "Terlambat."},
            }
        ),
        content_type="application/json",
    )
    assert worked.status_code == 200, worked.content
    detail = api.get(f"{BASE}/{body['id']}").json()
    assert detail["status"] == "answered" and detail["upheld"] is True and detail["assigned_to"] == officer_5102.pk
    assert detail["lapor_stage"] == "follow_up_posted" and detail["notes"][0]["body"].startswith("Diverifikasi")
    assert detail["reply_via"] == "tracking"  # no contact: the LAPOR! reporter reads it on the tracking page
    assert Compensation.objects.filter(complaint_id=body["id"]).count() == 1


def test_another_offices_complaints_are_404(office_5102: Office, supervisor_5102: Any) -> None:
    complaint = file_complaint(office_5102, kind="complaint", text="RAHASIA-5102", source="box")
    outsider = api_client(make_user("sup5101", "5101", "supervisor"))
    assert outsider.get(f"{BASE}/{complaint.pk}").status_code == 404
    patch = outsider.patch(f"{BASE}/{complaint.pk}", data={"note": "x"}, content_type="application/json")
    assert patch.status_code == 404
    assert "RAHASIA" not in outsider.get(BASE).content.decode()
    made = outsider.post(
        BASE,
        data={"office": "5102", "kind": "complaint", "source": "box", "text": "x"},
        content_type="application/json",
    )
    assert made.status_code == 404
    assert Complaint.objects.count() == 1 and not ComplaintNote.objects.exists()
    assert Client().get(BASE).status_code == 401


@pytest.mark.parametrize(
    "payload",
    [
        {"text": ""},
        {"text": "x" * 5001},
        {"source": "email"},
        {"source": "bps_site", "external_id": "!!"},
        {"kind": "pujian"},
    ],
)
def test_bad_input_is_a_400_and_stores_nothing(office_5102: Office, officer_5102: Any, payload: dict[str, str]) -> None:
    data = {"office": "5102", "kind": "complaint", "source": "phone", "text": "Keluhan", **payload}
    answer = api_client(officer_5102).post(BASE, data=data, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["detail"]
    assert not Complaint.objects.exists()


def test_a_failed_part_of_an_update_changes_nothing(office_5102: Office, supervisor_5102: Any) -> None:
    complaint = file_complaint(office_5102, kind="complaint", text="Keluhan", source="phone")
    answer = api_client(supervisor_5102).patch(
        f"{BASE}/{complaint.pk}",
        data={"note": "Catatan", "answer": {"response": "Ya", "upheld": None}},  # a verdict is missing
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert not ComplaintNote.objects.exists()
    complaint.refresh_from_db()
    assert complaint.status == "received"
