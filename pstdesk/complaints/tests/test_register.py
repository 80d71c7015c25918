"""The complaint register: every source an office publishes recorded, worked and answered; the tracking page;
deadlines in working days; escalation; office isolation; bad input refused with nothing stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from pstdesk.audit.models import AuditLog
from pstdesk.complaints.actions import (
    add_complaint_note,
    assign_complaint,
    escalate_overdue_complaints,
    file_complaint,
    handle_complaint,
    set_lapor_stage,
)
from pstdesk.complaints.models import (
    Complaint,
    ComplaintNote,
    ComplaintPolicy,
    ComplaintSource,
    ComplaintStatus,
    LaporStage,
)
from pstdesk.complaints.policy import TRACKING_RE, follow_up_due, offered_sources
from pstdesk.conftest import make_user
from pstdesk.lib.errors import InvalidInput, InvalidTransition, NotAllowed
from pstdesk.offices.models import Office

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=WITA)


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_sources_come_from_each_offices_standard(office_5102: Office, office_5101: Office) -> None:
    assert offered_sources(office_5102) == ["box", "in_person", "lapor", "bps_site", "online_form", "whatsapp", "phone"]
    assert offered_sources(office_5101) == ["box", "in_person", "online_form", "whatsapp", "phone", "email"]


def test_the_deadline_is_five_working_days_by_default_and_follows_the_office_policy(office_5102: Office) -> None:
    # Monday 23 Nov 2026 10:00 → Monday 30 Nov, close of service (16:00 WITA).
    assert follow_up_due(office_5102, MONDAY_10) == datetime(2026, 11, 30, 16, tzinfo=WITA)
    # Received on Saturday: counted from Monday's opening → the Monday after, 16:00.
    assert follow_up_due(office_5102, datetime(2026, 11, 28, 9, tzinfo=WITA)) == datetime(2026, 12, 7, 16, tzinfo=WITA)
    ComplaintPolicy.objects.create(office=office_5102, follow_up_working_days=3)
    # Monday + 3 working days = Thursday (Mon–Thu close at 16:00).
    assert follow_up_due(office_5102, MONDAY_10) == datetime(2026, 11, 26, 16, tzinfo=WITA)
    with time_machine.travel(MONDAY_10, tick=False):
        complaint = file_complaint(office_5102, kind="complaint", text="Lambat", source="phone")
    assert complaint.due_at == datetime(2026, 11, 26, 16, tzinfo=WITA)


# (office, source, contact, external id): every source each office publishes, plus in person.
SOURCES = [
    ("5102", ComplaintSource.BOX, "", ""),
    ("5102", ComplaintSource.IN_PERSON, "", ""),
    ("5102", ComplaintSource.LAPOR, "", "LAP-2026-118"),
    ("5102", ComplaintSource.BPS_SITE, "", "481516"),
    ("5102", ComplaintSource.PHONE, "pelapor@example.test", ""),
    ("5101", ComplaintSource.EMAIL, "warga@example.test", ""),
    ("5101", ComplaintSource.PHONE, "", ""),
    ("5101", ComplaintSource.BOX, "", ""),
    ("5101", ComplaintSource.IN_PERSON, "", ""),
    # Received through the office's external online form (s.bps.go.id/LayananPST5101) and recorded by hand.
    ("5101", ComplaintSource.ONLINE_FORM, "budi@example.test", ""),
    # A WhatsApp complaint recorded by hand (not from a consultation): answered on the tracking page.
    ("5102", ComplaintSource.WHATSAPP, "085100001111", ""),
]


@pytest.mark.parametrize(("office", "source", "contact", "external_id"), SOURCES)
def test_staff_record_work_and_answer_a_complaint_from_each_source(
    office: str, source: str, contact: str, external_id: str, django_capture_on_commit_callbacks: Any
) -> None:
    officer = make_user(f"off{office}", office, on_duty=True)
    supervisor = make_user(f"sup{office}", office, "supervisor")
    with time_machine.travel(MONDAY_10, tick=False), django_capture_on_commit_callbacks(execute=True):
        page = client_for(officer).post(
            reverse("complaints:record"),
            {
                "office": office,
                "source": source,
                "kind": "complaint",
                "text": f"Keluhan melalui {source}",
                "contact": contact,
                "external_id": external_id,
            },
        )
    assert page.status_code == 302, page.content.decode()
    complaint = Complaint.objects.get()
    assert (complaint.office_id, complaint.source, complaint.external_id) == (office, source, external_id)
    assert TRACKING_RE.match(complaint.tracking_number) and complaint.tracking_number.startswith(f"PGD-{office}-")
    assert complaint.status == ComplaintStatus.RECEIVED and complaint.due_at is not None
    if source == ComplaintSource.LAPOR:
        assert complaint.lapor_stage == LaporStage.FORWARDED
        set_lapor_stage(complaint, by=supervisor, stage=LaporStage.IN_PROGRESS)
    # A receipt with the number goes to the complainant's e-mail at once, when they gave one.
    receipts = [m for m in mail.outbox if complaint.tracking_number in m.body]
    mailable = "@" in contact
    assert len(receipts) == (1 if mailable else 0)
    # The officer sees the number on the complaint page to tell the caller.
    assert complaint.tracking_number in client_for(officer).get(page["Location"]).content.decode()

    assign_complaint(complaint, by=supervisor, to=officer)
    add_complaint_note(complaint, by=officer, body="Sudah menelepon pengadu.")
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.IN_PROGRESS and complaint.assigned_to == officer
    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for(officer).post(
            reverse("complaints:complaint", args=[complaint.pk]),
            {"form": "answer", "response": "Mohon maaf, sudah kami perbaiki.", "upheld": "no", "reason": "Sesuai SOP."},
        )
    assert answer.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED and complaint.upheld is False
    assert complaint.reply_via == ("email" if mailable else "tracking")
    if mailable:
        answers = [m for m in mail.outbox if "Mohon maaf, sudah kami perbaiki." in m.body]
        assert len(answers) == 1 and answers[0].to == [contact]
        assert complaint.reply_sent_at is not None
    verbs = list(
        AuditLog.objects.filter(subject_id=str(complaint.pk), subject_type="complaints.complaint").values_list(
            "verb", flat=True
        )
    )
    assert sorted(verbs) == sorted(
        ["complaint.filed", "complaint.assigned", "complaint.noted", "complaint.handled"]
        + (["complaint.lapor_stage"] if source == ComplaintSource.LAPOR else [])
    )
    # The tracking page shows the status and the answer, nothing of the complaint's text or contact.
    tracking = Client().get(reverse("complaints:track", args=[complaint.tracking_number]))
    html = tracking.content.decode()
    assert tracking.status_code == 200
    assert "Mohon maaf, sudah kami perbaiki." in html and "Dijawab" in html
    assert f"Keluhan melalui {source}" not in html and (not contact or contact not in html)
    assert "Sudah menelepon" not in html  # internal notes stay internal
    if source == ComplaintSource.LAPOR:  # the stage mirrored from LAPOR! is shown, its tracking id is not
        assert "Ditindaklanjuti instansi" in html and external_id not in html


def test_the_public_form_gives_the_number_at_once_and_the_tracking_page_follows(office_5102: Office) -> None:
    url = reverse("complaints:complaint_form", args=["5102"])
    sent = Client().post(url, {"kind": "suggestion", "text": "Tambah jam layanan Sabtu", "contact": ""})
    assert sent.status_code == 200
    complaint = Complaint.objects.get()
    assert complaint.source == ComplaintSource.ONLINE_FORM and complaint.visitor is None  # anonymous
    assert complaint.tracking_number in sent.content.decode()
    page = Client().get(reverse("complaints:track", args=[complaint.tracking_number.lower()]), follow=True)
    assert page.status_code == 200 and "Diterima" in page.content.decode()
    lookup = Client().get(reverse("complaints:track_lookup"), {"nomor": complaint.tracking_number})
    assert lookup.status_code == 302 and lookup["Location"].endswith(f"/{complaint.tracking_number}/")


def test_a_guessed_or_another_offices_number_shows_nothing(office_5102: Office) -> None:
    complaint = file_complaint(office_5102, kind="complaint", text="RAHASIA-TEKS", source="phone")
    suffix = complaint.tracking_number.rsplit("-", 1)[1]
    guesses = [f"PGD-5101-{suffix}", "PGD-5102-" + ("ZZZZZZ" if suffix != "ZZZZZZ" else "YYYYYY")]
    for guess in guesses:
        page = Client().get(reverse("complaints:track", args=[guess]))
        html = page.content.decode()
        assert page.status_code == 404
        assert "tidak ditemukan" in html and "RAHASIA" not in html and complaint.tracking_number not in html
    for bad in ("PGD-5102-7K3Q", "5102-ABCDEF", "PGD-5102-ABCDE0", "x" * 300):
        page = Client().get(reverse("complaints:track", args=[bad]))
        assert page.status_code == 400 and "PGD-" in page.content.decode()


def test_guessing_tracking_numbers_is_limited_per_client_address(office_5102: Office) -> None:
    from pstdesk.complaints.throttle import MISS_LIMITS

    complaint = file_complaint(office_5102, kind="complaint", text="RAHASIA-TEKS", source="phone")
    mine = reverse("complaints:track", args=[complaint.tracking_number])
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(20):  # a complainant reloading their own page is never counted
        assert guesser.get(mine).status_code == 200
    misses = MISS_LIMITS[0][1]
    taken = {complaint.tracking_number.rsplit("-", 1)[1]}
    guesses = [s for s in ("AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE", "FFFFFF", "GGGGGG") if s not in taken]
    for i in range(misses):
        guess = reverse("complaints:track", args=[f"PGD-5102-{guesses[i % len(guesses)]}"])
        assert guesser.get(guess).status_code == 404
    # Past the limit every lookup from that address is refused, the real number included: nothing to learn.
    for url in (reverse("complaints:track", args=["PGD-5102-HHHHHH"]), mine):
        refused = guesser.get(url)
        html = refused.content.decode()
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        assert "Terlalu banyak" in html and "RAHASIA" not in html and "Diterima" not in html
    # Another address is not affected.
    assert Client(REMOTE_ADDR="198.51.100.2").get(mine).status_code == 200


def test_a_5101_supervisor_gets_404_for_5102s_complaints(office_5102: Office, supervisor_5102: object) -> None:
    complaint = file_complaint(office_5102, kind="complaint", text="RAHASIA-5102", source="box")
    outsider = client_for(make_user("sup5101", "5101", "supervisor"))
    assert outsider.get(reverse("complaints:complaint", args=[complaint.pk])).status_code == 404
    posted = outsider.post(
        reverse("complaints:complaint", args=[complaint.pk]),
        {"form": "answer", "response": "x", "upheld": "no", "reason": "x"},
    )
    assert posted.status_code == 404
    assert "RAHASIA-5102" not in outsider.get(reverse("complaints:supervision")).content.decode()
    # Recording for another office is refused: 5102 is not among the choices.
    refused = outsider.post(
        reverse("complaints:record"), {"office": "5102", "source": "phone", "kind": "complaint", "text": "x"}
    )
    assert refused.status_code == 400
    assert Complaint.objects.count() == 1
    assert "RAHASIA-5102" in client_for(supervisor_5102).get(reverse("complaints:supervision")).content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": "   "}, "wajib diisi"),
        ({"text": "x" * 5001}, "terlalu panjang"),
        ({"source": "email"}, "tidak menerima pengaduan"),  # Tabanan publishes no e-mail complaint channel
        ({"source": "fax"}, "tidak menerima pengaduan"),
        ({"source": "lapor", "external_id": ""}, "wajib diisi"),
        ({"source": "lapor", "external_id": "a b/c"}, "wajib diisi"),
        ({"source": "phone", "external_id": "12345"}, "hanya untuk"),
        ({"kind": "praise"}, "Pilih jenis"),
        ({"contact": "y" * 201}, "terlalu panjang"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_stores_nothing(
    office_5102: Office, officer_5102: object, fields: dict[str, str], message: str
) -> None:
    data = {"kind": "complaint", "text": "Keluhan", "source": "phone", "contact": "", "external_id": "", **fields}
    with pytest.raises(InvalidInput, match=message):
        file_complaint(office_5102, by=officer_5102, **data)
    assert not Complaint.objects.exists() and not AuditLog.objects.filter(verb="complaint.filed").exists()
    # The same through the console form: a 400 with the message, nothing stored.
    page = client_for(officer_5102).post(reverse("complaints:record"), {"office": "5102", **data})
    assert page.status_code == 400 and not Complaint.objects.exists()


def test_the_public_form_refuses_bad_input(office_5102: Office) -> None:
    url = reverse("complaints:complaint_form", args=["5102"])
    for data in (
        {"kind": "complaint", "text": ""},
        {"kind": "complaint", "text": "x" * 5001},
        {"kind": "x", "text": "y"},
    ):
        assert Client().post(url, data).status_code == 400
    assert not Complaint.objects.exists()


def test_working_a_complaint_is_checked(office_5102: Office, officer_5102: Any, supervisor_5102: Any) -> None:
    complaint = file_complaint(office_5102, kind="complaint", text="Keluhan", source="box")
    outsider = make_user("sup5101", "5101", "supervisor")
    for action in (
        lambda who: assign_complaint(complaint, by=who, to=officer_5102),
        lambda who: handle_complaint(complaint, by=who, response="x", upheld=False, reason="x"),
        lambda who: add_complaint_note(complaint, by=who, body="x"),
    ):
        with pytest.raises(NotAllowed):
            action(outsider)
    with pytest.raises(NotAllowed):  # an officer works only what is assigned to them
        add_complaint_note(complaint, by=officer_5102, body="x")
    with pytest.raises(InvalidInput):  # the assignee must be staff of the office
        assign_complaint(complaint, by=supervisor_5102, to=outsider)
    with pytest.raises(InvalidInput):
        set_lapor_stage(complaint, by=supervisor_5102, stage=LaporStage.CLOSED)  # not a LAPOR! item
    handle_complaint(complaint, by=supervisor_5102, response="Selesai.", upheld=False, reason="Sesuai SOP.")
    with pytest.raises(InvalidTransition):
        assign_complaint(complaint, by=supervisor_5102, to=officer_5102)
    add_complaint_note(complaint, by=supervisor_5102, body="Dicatat setelah dijawab.")  # notes may follow
    assert ComplaintNote.objects.filter(complaint=complaint).count() == 1


def test_an_overdue_complaint_is_escalated_to_the_province_once(
    office_5102: Office, supervisor_5100: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        late = file_complaint(office_5102, kind="complaint", text="Belum dijawab", source="phone")
        answered = file_complaint(office_5102, kind="complaint", text="Sudah dijawab", source="box")
    supervisor = make_user("koord", "5102", "supervisor")
    handle_complaint(answered, by=supervisor, response="Selesai.", upheld=False, reason="Sesuai SOP.")
    mail.outbox.clear()
    assert escalate_overdue_complaints(datetime(2026, 11, 30, 15, tzinfo=WITA)) == 0  # not due yet
    after = datetime(2026, 11, 30, 16, 1, tzinfo=WITA)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue_complaints(after) == 1
        assert escalate_overdue_complaints(after) == 0
    late.refresh_from_db()
    assert late.escalated_to_id == "5100" and late.escalated_at == after
    assert AuditLog.objects.filter(verb="complaint.escalated").count() == 1
    assert [m.to for m in mail.outbox] == [[supervisor_5100.email]]
    page = client_for(supervisor_5100).get(reverse("complaints:supervision") + "?overdue=on")
    assert late.tracking_number in page.content.decode() and answered.tracking_number not in page.content.decode()


def test_the_queue_filters_and_its_queries_do_not_grow(
    office_5102: Office, supervisor_5102: Any, officer_5102: Any, django_assert_max_num_queries: Any
) -> None:
    phone = file_complaint(office_5102, kind="complaint", text="Telepon", source="phone")
    box = file_complaint(office_5102, kind="suggestion", text="Kotak", source="box")
    assign_complaint(phone, by=supervisor_5102, to=supervisor_5102)
    client = client_for(supervisor_5102)
    url = reverse("complaints:supervision")
    for query, shown, hidden in (
        ("?source=phone", phone, box),
        ("?kind=suggestion", box, phone),
        ("?assignee=me", phone, box),
        ("?assignee=none", box, phone),
    ):
        html = client.get(url + query).content.decode()
        assert shown.tracking_number in html and hidden.tracking_number not in html, query
    for _ in range(10):
        file_complaint(office_5102, kind="complaint", text="Lagi", source="box")
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


def test_a_declined_compensation_reaches_the_complainant_and_the_case_says_when(
    office_5101: Office, manager_5102: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from pstdesk.complaints.actions import decide_compensation, open_compensation
    from pstdesk.complaints.models import Compensation

    supervisor = make_user("sup5101", "5101", "supervisor")
    manager = make_user("pj5101", "5101", "manager")
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(
            office_5101, kind="complaint", text="Tidak dibalas", source="email", contact="ani@example.test"
        )
        handle_complaint(complaint, by=supervisor, response="Maaf.", upheld=True, reason="Terlambat.")
    case = Compensation.objects.get(complaint=complaint)
    mail.outbox.clear()
    with pytest.raises(NotAllowed):  # another office's manager
        decide_compensation(case, by=manager_5102, granted=False, reason="x")
    with django_capture_on_commit_callbacks(execute=True):
        decide_compensation(case, by=manager, granted=False, reason="Jawaban sudah diberikan pada hari yang sama.")
    case.refresh_from_db()
    assert case.status == "declined" and case.visitor_told_via == "email" and case.visitor_told_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ani@example.test"]
    assert "Jawaban sudah diberikan pada hari yang sama." in mail.outbox[0].body
    tracking = Client().get(reverse("complaints:track", args=[complaint.tracking_number])).content.decode()
    assert "Tidak diberikan" in tracking and "Jawaban sudah diberikan" in tracking
    # A case opened by hand about nothing the visitor can be reached through: nobody is told, and it says so.
    other = open_compensation(office_5101, by=supervisor, reason="Temuan audit internal.")
    decide_compensation(other, by=manager, granted=False, reason="Tidak ada pengguna yang dirugikan.")
    other.refresh_from_db()
    assert other.visitor_told_at is None and other.visitor_told_via == ""


def test_a_telephone_complaint_about_a_consultation_is_linked_and_answered_in_its_channel(
    office_5102: Office, officer_5102: Any, supervisor_5102: Any
) -> None:
    from pstdesk.complaints.tests.factories import make_consultation
    from pstdesk.consultations.models import Direction

    consultation = make_consultation(office_5102)
    other = make_consultation("5101")
    client = client_for(officer_5102)
    url = reverse("complaints:record")
    data = {"office": "5102", "source": "phone", "kind": "complaint", "text": "Petugas menutup chat saya."}
    refused = client.post(url, {**data, "consultation": other.pk})  # another office's consultation
    assert refused.status_code == 400 and "tidak ditemukan di kantor ini" in refused.content.decode()
    assert not Complaint.objects.exists()
    made = client.post(url, {**data, "consultation": consultation.pk})
    assert made.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.consultation, complaint.visitor) == (consultation, consultation.visitor)
    receipt = consultation.messages.filter(direction=Direction.OUT).order_by("-seq").first()
    assert receipt is not None and complaint.tracking_number in receipt.body  # told in the consultation at once
    handle_complaint(complaint, by=supervisor_5102, response="Sudah kami tegur.", upheld=False, reason="Sesuai SOP.")
    complaint.refresh_from_db()
    assert complaint.reply_via == "whatsapp"
    assert consultation.messages.filter(direction=Direction.OUT, body__contains="Sudah kami tegur.").count() == 1
