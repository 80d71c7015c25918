"""Compensation cases (opened by hand or by a breach, decided by the service manager) and complaints."""

from __future__ import annotations

import pytest

from pstdesk.audit.models import AuditLog
from pstdesk.complaints.actions import decide_compensation, file_complaint, open_compensation
from pstdesk.complaints.models import Compensation, CompensationStatus, Complaint, ComplaintKind
from pstdesk.complaints.tests.factories import make_consultation
from pstdesk.conftest import make_user
from pstdesk.lib.actors import SystemActor
from pstdesk.lib.errors import InvalidInput, InvalidTransition, NotAllowed
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db


def test_open_by_hand_by_a_supervisor(office_5102: Office, supervisor_5102: object) -> None:
    c = make_consultation(office_5102)
    case = open_compensation(office_5102, by=supervisor_5102, reason="Jawaban tidak lengkap", consultation=c)
    assert case.status == CompensationStatus.OPEN and case.opened_by == supervisor_5102
    audit = AuditLog.objects.get(verb="compensation.opened")
    assert audit.actor == supervisor_5102 and audit.after["consultation"] == c.pk


def test_open_is_refused_to_officers_outsiders_and_bad_input(
    office_5102: Office, officer_5102: object, officer_5101: object, supervisor_5102: object
) -> None:
    for who in (officer_5102, officer_5101, make_user("sup5101", "5101", "supervisor")):
        with pytest.raises(NotAllowed):
            open_compensation(office_5102, by=who, reason="x")
    with pytest.raises(InvalidInput):
        open_compensation(office_5102, by=supervisor_5102, reason="   ")
    with pytest.raises(InvalidInput):  # a consultation of another office
        open_compensation(office_5102, by=supervisor_5102, reason="x", consultation=make_consultation("5101"))
    assert not Compensation.objects.exists() and not AuditLog.objects.filter(verb="compensation.opened").exists()


def test_the_manager_decides_once(office_5102: Office, manager_5102: object, supervisor_5102: object) -> None:
    case = open_compensation(office_5102, by=SystemActor("sla"), reason="Melewati 3 hari kerja")
    with pytest.raises(NotAllowed):  # the supervisor watches, the manager decides
        decide_compensation(case, by=supervisor_5102, granted=True, reason="x", given="y")
    with pytest.raises(InvalidInput):
        decide_compensation(case, by=manager_5102, granted=True, reason="Terlambat", given="")
    with pytest.raises(InvalidInput):
        decide_compensation(case, by=manager_5102, granted=False, reason=" ")
    case.refresh_from_db()
    assert case.status == CompensationStatus.OPEN

    decide_compensation(case, by=manager_5102, granted=True, reason="Terlambat 1 hari", given="Prioritas layanan")
    case.refresh_from_db()
    assert case.status == CompensationStatus.GRANTED and case.given == "Prioritas layanan"
    assert case.decided_by == manager_5102 and case.decided_at is not None
    audit = AuditLog.objects.get(verb="compensation.decided")
    assert audit.before == {"status": "open"} and audit.after["status"] == "granted"
    with pytest.raises(InvalidTransition):
        decide_compensation(case, by=manager_5102, granted=False, reason="berubah pikiran")


def test_a_province_manager_decides_for_a_regency_but_not_the_other_way(office_5102: Office) -> None:
    province_manager = make_user("pjprov", "5100", "manager")
    manager_5101 = make_user("pj5101", "5101", "manager")
    case = open_compensation(office_5102, by=SystemActor("sla"), reason="x")
    with pytest.raises(NotAllowed):
        decide_compensation(case, by=manager_5101, granted=False, reason="bukan kantor saya")
    decide_compensation(case, by=province_manager, granted=False, reason="Pengguna belum melengkapi persyaratan")
    case.refresh_from_db()
    assert case.status == CompensationStatus.DECLINED and case.given == ""


def test_file_complaint(office_5102: Office) -> None:
    complaint = file_complaint(office_5102, kind=ComplaintKind.SUGGESTION, text="  Tambah jam layanan  ")
    assert complaint.text == "Tambah jam layanan" and complaint.contact == ""
    assert AuditLog.objects.filter(verb="complaint.filed", subject_id=str(complaint.pk)).exists()
    for bad in (
        {"kind": "praise", "text": "x"},
        {"kind": "complaint", "text": "  "},
        {"kind": "complaint", "text": "x" * 5001},
        {"kind": "complaint", "text": "x", "contact": "y" * 201},
    ):
        with pytest.raises(InvalidInput):
            file_complaint(office_5102, **bad)
    assert Complaint.objects.count() == 1


def test_an_upheld_complaint_is_handled_once_and_opens_a_compensation_case(
    office_5102: Office, supervisor_5102: object
) -> None:
    from pstdesk.complaints.actions import handle_complaint
    from pstdesk.complaints.models import ComplaintStatus

    complaint = file_complaint(office_5102, kind=ComplaintKind.COMPLAINT, text="Tiga hari tidak dijawab.")
    handle_complaint(
        complaint,
        by=supervisor_5102,
        response="Petugas lalai; jawaban dikirim hari ini.",
        upheld=True,
        reason="Tidak dijawab dalam 3 hari kerja.",
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED and complaint.upheld is True
    assert complaint.handled_by == supervisor_5102
    case = Compensation.objects.get(complaint=complaint)
    assert case.status == CompensationStatus.OPEN and complaint.tracking_number in case.reason
    assert AuditLog.objects.filter(verb="complaint.handled", subject_id=str(complaint.pk)).count() == 1
    with pytest.raises(InvalidTransition):
        handle_complaint(complaint, by=supervisor_5102, response="lagi", upheld=True, reason="lagi")
    assert Compensation.objects.filter(complaint=complaint).count() == 1


def test_complaint_follow_up_refuses_officers_outsiders_and_bad_input(
    office_5102: Office, officer_5102: object, supervisor_5102: object
) -> None:
    from pstdesk.complaints.actions import handle_complaint
    from pstdesk.complaints.models import ComplaintStatus

    complaint = file_complaint(office_5102, kind=ComplaintKind.COMPLAINT, text="Petugas tidak ramah.")
    suggestion = file_complaint(office_5102, kind=ComplaintKind.SUGGESTION, text="Tambah jam layanan.")
    for who in (officer_5102, make_user("sup5101", "5101", "supervisor")):
        with pytest.raises(NotAllowed):
            handle_complaint(complaint, by=who, response="x", upheld=False, reason="x")
    with pytest.raises(InvalidInput):
        handle_complaint(complaint, by=supervisor_5102, response="  ", upheld=False, reason="x")
    with pytest.raises(InvalidInput):  # a complaint needs a verdict
        handle_complaint(complaint, by=supervisor_5102, response="Sudah.", upheld=None, reason="x")
    with pytest.raises(InvalidInput):  # ... and its reason
        handle_complaint(complaint, by=supervisor_5102, response="Sudah.", upheld=False, reason=" ")
    with pytest.raises(InvalidInput):  # a suggestion cannot be "upheld"
        handle_complaint(suggestion, by=supervisor_5102, response="Dipertimbangkan.", upheld=True)
    assert set(Complaint.objects.values_list("status", flat=True)) == {ComplaintStatus.RECEIVED}
    assert not Compensation.objects.exists()
    assert not AuditLog.objects.filter(verb="complaint.handled").exists()


def test_complaint_page_is_office_scoped_and_records_the_follow_up(
    office_5102: Office, supervisor_5102: object, officer_5101: object
) -> None:
    from django.test import Client

    complaint = file_complaint(office_5102, kind=ComplaintKind.COMPLAINT, text="RAHASIA-5102 keluhan")
    outsider = Client()
    outsider.force_login(make_user("sup5101b", "5101", "supervisor"))
    assert outsider.get(f"/pengawasan/pengaduan/{complaint.pk}/").status_code == 404
    insider = Client()
    insider.force_login(supervisor_5102)
    assert "RAHASIA-5102" in insider.get(f"/pengawasan/pengaduan/{complaint.pk}/").content.decode()
    response = insider.post(
        f"/pengawasan/pengaduan/{complaint.pk}/",
        {"form": "answer", "response": "Sudah ditangani.", "upheld": "no", "reason": "Sesuai SOP."},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.upheld is False and complaint.response == "Sudah ditangani."


def test_the_office_edits_its_compensation_list_in_the_admin_and_the_manager_picks_from_it(
    office_5102: Office, admin_5102: object, admin_5101: object, manager_5102: object
) -> None:
    from django.test import Client

    from pstdesk.complaints.models import CompensationOption

    seeded = list(CompensationOption.objects.filter(office_id="5102").order_by("position"))
    assert len(seeded) == 3  # from Tabanan's service guarantee
    assert not CompensationOption.objects.filter(office_id="5101").exists()  # Jembrana's standard promises none
    admin = Client()
    admin.force_login(admin_5102)
    added = admin.post(
        "/admin/complaints/compensationoption/add/",
        {
            "office": "5102",
            "label": "Salinan publikasi tercetak gratis",
            "description": "",
            "position": 4,
            "active": "on",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    retired = seeded[0]
    changed = admin.post(
        f"/admin/complaints/compensationoption/{retired.pk}/change/",
        {"office": "5102", "label": retired.label, "description": retired.description, "position": 1},
    )  # "active" left unticked
    assert changed.status_code == 302, changed.content.decode()[:2000]
    other = Client()
    other.force_login(admin_5101)
    assert "Salinan publikasi" not in other.get("/admin/complaints/compensationoption/").content.decode()
    assert other.get(f"/admin/complaints/compensationoption/{retired.pk}/change/").status_code == 404

    case = open_compensation(office_5102, by=SystemActor("sla"), reason="Melewati 3 hari kerja")
    manager = Client()
    manager.force_login(manager_5102)
    url = f"/pengawasan/kompensasi/{case.pk}/"
    page = manager.get(url).content.decode()
    assert "Salinan publikasi tercetak gratis" in page and retired.label not in page
    refused = manager.post(url, {"granted": "yes", "option": retired.pk, "reason": "Terlambat"})
    assert refused.status_code == 400
    case.refresh_from_db()
    assert case.status == CompensationStatus.OPEN
    new = CompensationOption.objects.get(label="Salinan publikasi tercetak gratis")
    assert manager.post(url, {"granted": "yes", "option": new.pk, "reason": "Terlambat"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CompensationStatus.GRANTED and case.option == new and case.given == new.label
