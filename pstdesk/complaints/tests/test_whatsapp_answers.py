"""A complaint made in a WhatsApp consultation, end to end through the WhatsApp simulator: the officer turns the
visitor's message into a complaint from the console, the tracking number reaches the visitor's WhatsApp at once,
the supervisor upholds it and the answer reaches WhatsApp, the upheld complaint opens a compensation case about
the consultation, and the manager's decision reaches WhatsApp too."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pstdesk.channels.whatsapp.simulator import Simulator
from pstdesk.channels.whatsapp.tests.conftest import office_hours, sim, wa_settings  # noqa: F401
from pstdesk.channels.whatsapp.tests.helpers import PNID, accepted_for, drive_outbox, start
from pstdesk.complaints.models import (
    Compensation,
    CompensationOption,
    CompensationStatus,
    Complaint,
    ComplaintSource,
    ComplaintStatus,
)
from pstdesk.consultations.models import Direction

pytestmark = pytest.mark.django_db
USER = "6281234509876"


def texts_to(sim: Simulator, user: str) -> list[str]:
    return [row["text"] or "" for row in accepted_for(sim, user)]


def test_a_whatsapp_complaint_is_numbered_answered_and_compensated_in_the_chat(
    sim: Simulator,  # noqa: F811
    officer_5102: Any,
    supervisor_5102: Any,
    manager_5102: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    consultation = start(sim, "5102", USER)
    drive_outbox(sim)
    sim.user_says(PNID["5102"], USER, "Sudah tiga hari pertanyaan saya tidak dijawab, pelayanannya lambat sekali.")
    sim.pump()
    message = consultation.messages.filter(direction=Direction.IN).order_by("-seq").first()
    assert message is not None and "lambat" in message.body

    # The officer, from the console's link, turns the message into a complaint.
    officer = Client()
    officer.force_login(officer_5102)
    console = officer.get(reverse("console:consultation", args=[consultation.pk])).content.decode()
    assert reverse("complaints:from_consultation", args=[consultation.pk]) in console
    with django_capture_on_commit_callbacks(execute=True):
        made = officer.post(
            reverse("complaints:from_consultation", args=[consultation.pk]),
            {"message": message.pk, "kind": "complaint"},
        )
    assert made.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.source == ComplaintSource.WHATSAPP
    assert (complaint.consultation, complaint.message, complaint.visitor) == (
        consultation,
        message,
        consultation.visitor,
    )
    drive_outbox(sim)
    assert any(complaint.tracking_number in text for text in texts_to(sim, USER))
    # Turning the same message into a complaint twice is refused.
    again = officer.post(
        reverse("complaints:from_consultation", args=[consultation.pk]), {"message": message.pk, "kind": "complaint"}
    )
    assert again.status_code == 400 and Complaint.objects.count() == 1

    # The supervisor upholds it; the answer goes to the visitor's WhatsApp.
    supervisor = Client()
    supervisor.force_login(supervisor_5102)
    with django_capture_on_commit_callbacks(execute=True):
        answered = supervisor.post(
            reverse("complaints:complaint", args=[complaint.pk]),
            {
                "form": "answer",
                "response": "Mohon maaf atas keterlambatan; data Anda kami kirim hari ini.",
                "upheld": "yes",
                "reason": "Melewati batas waktu 3 hari kerja.",
            },
        )
    assert answered.status_code == 302
    drive_outbox(sim)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED and complaint.reply_via == "whatsapp"
    assert any("data Anda kami kirim hari ini" in text for text in texts_to(sim, USER))

    # The upheld complaint about the consultation opened a compensation case; the manager picks an option.
    case = Compensation.objects.get(complaint=complaint)
    assert case.consultation == consultation and case.status == CompensationStatus.OPEN
    option = CompensationOption.objects.filter(office_id="5102", active=True).first()
    assert option is not None  # seeded from Tabanan's service guarantee
    manager = Client()
    manager.force_login(manager_5102)
    form = manager.get(reverse("complaints:compensation", args=[case.pk])).content.decode()
    assert option.label in form
    with django_capture_on_commit_callbacks(execute=True):
        decided = manager.post(
            reverse("complaints:compensation", args=[case.pk]),
            {"granted": "yes", "option": option.pk, "reason": "Pengaduan beralasan."},
        )
    assert decided.status_code == 302
    drive_outbox(sim)
    case.refresh_from_db()
    assert case.status == CompensationStatus.GRANTED and case.option == option and case.given == option.label
    assert case.visitor_told_via == "whatsapp" and case.visitor_told_at == case.decided_at
    assert any(option.label in text for text in texts_to(sim, USER))
    page = manager.get(reverse("complaints:compensation", args=[case.pk])).content.decode()
    assert 'id="visitor-told"' in page and "whatsapp" in page
    # The tracking page shows the answer and the decision, not the visitor's words.
    tracking = Client().get(reverse("complaints:track", args=[complaint.tracking_number])).content.decode()
    assert "data Anda kami kirim hari ini" in tracking and option.label in tracking
    assert "lambat sekali" not in tracking


def test_a_supervisor_marks_a_jembrana_whatsapp_message_as_a_complaint_and_the_answer_reaches_whatsapp(
    sim: Simulator,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    from pstdesk.conftest import make_user

    user = "6281299905101"
    consultation = start(sim, "5101", user)
    drive_outbox(sim)
    sim.user_says(PNID["5101"], user, "Saran: mohon jam layanan WhatsApp diperpanjang sampai 16.00.")
    sim.pump()
    message = consultation.messages.filter(direction=Direction.IN).order_by("-seq").first()
    assert message is not None and "diperpanjang" in message.body

    supervisor = Client()
    supervisor.force_login(make_user("sup5101", "5101", "supervisor"))
    with django_capture_on_commit_callbacks(execute=True):
        made = supervisor.post(
            reverse("complaints:from_consultation", args=[consultation.pk]),
            {"message": message.pk, "kind": "suggestion"},
        )
    assert made.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.office_id, complaint.source, complaint.kind) == ("5101", ComplaintSource.WHATSAPP, "suggestion")
    assert complaint.tracking_number.startswith("PGD-5101-") and complaint.message == message
    drive_outbox(sim)
    assert any(complaint.tracking_number in text for text in texts_to(sim, user))

    with django_capture_on_commit_callbacks(execute=True):
        answered = supervisor.post(
            reverse("complaints:complaint", args=[complaint.pk]),
            {"form": "answer", "response": "Terima kasih; usulan dibahas pada rapat evaluasi bulan ini."},
        )
    assert answered.status_code == 302
    drive_outbox(sim)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED and complaint.reply_via == "whatsapp"
    assert complaint.upheld is None and not Compensation.objects.exists()  # a suggestion opens no case
    assert any("rapat evaluasi bulan ini" in text for text in texts_to(sim, user))
