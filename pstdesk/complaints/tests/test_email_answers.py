"""Complaints answered by e-mail through a real SMTP exchange (aiosmtpd on a free port): a form complaint gets its
tracking number and then the answer at the address given (Django mail); an e-mail consultation's message marked
as a complaint by a supervisor is answered in that consultation's mail thread (the office mailbox, with IMAP)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pstdesk.channels.email.poller import poll_once
from pstdesk.channels.email.tests.conftest import (  # noqa: F401
    fixture,
    imap_mailbox,
    imap_server,
    mailbox,
    smtp_server,
    working_hours,
)
from pstdesk.channels.email.tests.servers import SmtpServer
from pstdesk.complaints.actions import handle_complaint
from pstdesk.complaints.models import Complaint, ComplaintSource
from pstdesk.conftest import make_user
from pstdesk.consultations.models import Consultation, Direction

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_form_complaint_gets_its_number_and_answer_by_smtp(
    smtp_server: SmtpServer,  # noqa: F811
    settings: Any,
    working_hours: None,  # noqa: F811
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp_server.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    sent = smtp_server.sink.messages
    page = Client().post(
        reverse("complaints:complaint_form", args=["5101"]),
        {"kind": "complaint", "text": "Formulir data tidak bisa dibuka.", "contact": "ani@example.test"},
    )
    assert page.status_code == 200
    complaint = Complaint.objects.get()
    assert complaint.source == ComplaintSource.ONLINE_FORM
    assert len(sent) == 1 and sent[0].rcpt_tos == ["ani@example.test"]
    receipt = sent[0].message
    assert complaint.tracking_number in receipt["Subject"]
    assert f"/pengaduan/lacak/{complaint.tracking_number}/" in receipt.get_content()

    supervisor = make_user("sup5101", "5101", "supervisor")
    handle_complaint(
        complaint, by=supervisor, response="Tautan formulir sudah diperbaiki.", upheld=True, reason="Tautan rusak."
    )
    assert len(sent) == 2 and sent[1].rcpt_tos == ["ani@example.test"]
    answer = sent[1].message.get_content()
    assert "Tautan formulir sudah diperbaiki." in answer and "dinyatakan beralasan" in answer
    complaint.refresh_from_db()
    assert complaint.reply_via == "email" and complaint.reply_sent_at is not None


def test_a_supervisor_marks_an_email_as_a_complaint_and_the_answer_goes_back_in_the_thread(
    imap_mailbox: Any,  # noqa: F811
    imap_server: Any,  # noqa: F811
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    sent = smtp_server.sink.messages
    imap_server.append(fixture("intro_plain.eml"), imap_mailbox.imap_folder)
    assert poll_once(imap_mailbox).processed == 1
    consultation = Consultation.objects.get(office_id="5101", channel="email")
    message = consultation.messages.filter(direction=Direction.IN).get()
    before = len(sent)

    supervisor = Client()
    supervisor.force_login(make_user("sup5101", "5101", "supervisor"))
    made = supervisor.post(
        reverse("complaints:from_consultation", args=[consultation.pk]), {"message": message.pk, "kind": "complaint"}
    )
    assert made.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.source == ComplaintSource.EMAIL and complaint.consultation == consultation
    receipt = sent[before:]
    assert len(receipt) == 1 and complaint.tracking_number in receipt[0].message.get_content()
    assert f"[PST#{consultation.pk}]" in receipt[0].message["Subject"]  # in the consultation's thread

    answered = supervisor.post(
        reverse("complaints:complaint", args=[complaint.pk]),
        {
            "form": "answer",
            "response": "Data yang diminta kami lampirkan.",
            "upheld": "no",
            "reason": "Masih dalam batas.",
        },
    )
    assert answered.status_code == 302
    assert "Data yang diminta kami lampirkan." in sent[-1].message.get_content()
    assert sent[-1].rcpt_tos == receipt[0].rcpt_tos
    complaint.refresh_from_db()
    assert complaint.reply_via == "email"
