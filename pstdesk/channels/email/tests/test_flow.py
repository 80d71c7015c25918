"""A consultation by e-mail from the first mail to the rating, through a real IMAP server (pymap) and a real SMTP
server (aiosmtpd): threading holds when the visitor's client rewrites the subject or drops References."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from pstdesk.audit.models import AuditLog
from pstdesk.channels.email.models import InboundEmail, Intake, OutboundEmail
from pstdesk.channels.email.poller import poll_once
from pstdesk.channels.email.tests.conftest import fixture
from pstdesk.channels.email.tests.helpers import answer_to, visitor_mail
from pstdesk.consultations import actions as core
from pstdesk.consultations.models import Consultation, Message, Status
from pstdesk.guestbook import actions as guestbook
from pstdesk.guestbook.tests.factories import guestbook_data
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.ratings.models import Rating

pytestmark = pytest.mark.django_db(transaction=True)


def _complete_other_requirements(consultation: Consultation) -> None:
    """Guestbook, consent, verified e-mail, WhatsApp number: given through the web guestbook in real life."""
    visitor = consultation.visitor
    guestbook.fill_guestbook(
        visitor,
        office=consultation.office,
        channel="email",
        data=guestbook_data(name="Budi Santoso", email="budi.santoso@student.unud.ac.id"),
        by=VisitorActor(visitor.pk),
    )
    guestbook.give_consent(
        visitor, notice_version=guestbook.PRIVACY_NOTICE_VERSION, channel="email", by=VisitorActor(visitor.pk)
    )
    visitor.refresh_from_db()
    visitor.email_verified_at = timezone.now()  # the code round-trip is the guestbook's own test
    visitor.whatsapp = visitor.whatsapp or "+6281234567890"
    visitor.save(update_fields=["email_verified_at", "whatsapp"])
    core.refresh_requirements(consultation, by=SystemActor("test"))


def test_consultation_from_first_mail_to_rating(imap_mailbox, imap_server, smtp_server, officer_5101, client):
    sent = smtp_server.sink.messages

    # 1. The first mail, without an introduction: a consultation, and an acknowledgement asking for it.
    imap_server.append(
        fixture("no_intro.eml").replace(b"kontak1987@gmail.com", b"budi.santoso@student.unud.ac.id"),
        imap_mailbox.imap_folder,
    )
    result = poll_once(imap_mailbox)
    assert (result.stored, result.processed) == (1, 1)
    consultation = Consultation.objects.get(office_id="5101", channel="email")
    assert not consultation.introduction_given
    assert "introduction" in core.refresh_requirements(consultation, by=SystemActor("test"))
    assert len(sent) == 1
    ack = sent[0].message
    assert ack["Auto-Submitted"] == "auto-replied" and ack["X-Auto-Response-Suppress"] == "All"
    assert ack["In-Reply-To"] == "<noi.1@mail.gmail.com>"
    assert ack["Subject"] == f"Re: data [PST#{consultation.pk}]"
    assert re.fullmatch(rf"<pst\.{consultation.pk}\.\d+\.[0-9a-f]+@bps\.go\.id>", ack["Message-ID"])
    assert re.search(rf"bps5101\+c{consultation.pk}-[0-9a-f]{{20}}@bps\.go\.id", ack["Reply-To"])
    assert "perkenalkan diri" in ack.get_content()
    assert sent[0].rcpt_tos == ["budi.santoso@student.unud.ac.id"]
    outbox = Message.objects.get(consultation=consultation, is_automatic=True)
    assert outbox.external_id == ack["Message-ID"] and outbox.delivery_status == "sent"

    # 2. The visitor answers the acknowledgement, introducing themself; the client rewrote the subject and
    #    dropped References and In-Reply-To: the signed reply address threads it.
    imap_server.append(
        answer_to(
            sent[0],
            subject="perkenalan",
            keep_references=False,
            keep_in_reply_to=False,
            body="Nama saya Budi Santoso, mahasiswa Universitas Udayana.",
        ),
        imap_mailbox.imap_folder,
    )
    poll_once(imap_mailbox)
    consultation.refresh_from_db()
    assert consultation.introduction_given
    assert InboundEmail.objects.filter(consultation=consultation).values_list("thread_key", flat=True)[0] == "token"
    assert AuditLog.objects.filter(verb="consultation.introduction_given", subject_id=str(consultation.pk)).exists()
    assert len(sent) == 1  # no second acknowledgement in the same consultation

    _complete_other_requirements(consultation)
    core.mark_request_clear(consultation, by=officer_5101)
    consultation.refresh_from_db()
    assert consultation.status == Status.OPEN

    # 3. The officer answers by e-mail.
    core.post_reply(consultation, by=officer_5101, body="Berikut data jumlah penduduk per kecamatan 2025.")
    assert len(sent) == 2
    answer = sent[1].message
    assert answer["Auto-Submitted"] is None
    assert answer["In-Reply-To"] == InboundEmail.objects.filter(consultation=consultation).first().message_id
    assert ack["Message-ID"] in answer["References"] and "<noi.1@mail.gmail.com>" in answer["References"]

    # 4. A reply sent to the plain address (not Reply-To) with a rewritten subject and no References:
    #    In-Reply-To threads it.
    imap_server.append(
        answer_to(
            sent[1],
            subject="pertanyaan lain",
            keep_references=False,
            to_reply_address=False,
            body="Apakah ada data per desa?",
        ),
        imap_mailbox.imap_folder,
    )
    # 5. A fresh mail (new client, no headers at all) with only the subject tag kept.
    imap_server.append(
        visitor_mail(subject=f"Tambahan [PST#{consultation.pk}]", body="Dan data 2024?"), imap_mailbox.imap_folder
    )
    poll_once(imap_mailbox)
    keys = list(
        InboundEmail.objects.filter(consultation=consultation).order_by("id").values_list("thread_key", flat=True)
    )
    assert keys == ["new", "token", "references", "subject"]
    assert Consultation.objects.filter(office_id="5101").count() == 1
    texts = list(consultation.messages.filter(direction="in").order_by("seq").values_list("body", flat=True))
    assert texts[2] == "Apakah ada data per desa?"  # the quote was stripped

    # 6. Answer, close (5101: close, then rate): the rating request carries the link.
    core.mark_answered(consultation, by=officer_5101)
    core.close_consultation(consultation, by=officer_5101)
    rating_mail = sent[-1].message
    link = re.search(r"https?://\S+/nilai/(\S+)/", rating_mail.get_content())
    assert link, rating_mail.get_content()
    path = "/nilai/" + link.group(1) + "/"

    # 7. A mail scanner follows the link: nothing is recorded. Only the explicit submit records the rating.
    page = client.get(path)
    assert page.status_code == 200 and b'name="score"' in page.content
    client.get(path)
    assert not Rating.objects.filter(consultation=consultation).exists()
    done = client.post(path, {"score": "5", "feedback": "Cepat dan jelas", "gratuity": "no", "illegal_fee": "no"})
    assert done.status_code == 200
    rating = Rating.objects.get(consultation=consultation)
    assert (rating.score, rating.channel, rating.feedback) == (5, "email", "Cepat dan jelas")
    again = client.post(path, {"score": "1"})
    assert Rating.objects.get(consultation=consultation).score == 5 and again.status_code == 200


def test_rating_link_refuses_forged_tokens_and_early_ratings(mailbox, client, officer_5101):
    from pstdesk.channels.email.intake import ingest
    from pstdesk.ratings.links import rating_token

    assert client.get("/nilai/forged-token/").status_code == 404
    email = ingest(mailbox, fixture("intro_plain.eml"))
    consultation = email.consultation
    response = client.post(f"/nilai/{rating_token(consultation.pk)}/", {"score": "4"})
    assert response.status_code == 409  # 5101 rates only after closing
    assert not Rating.objects.filter(consultation=consultation).exists()


def test_introduction_in_the_first_mail_is_recognised(mailbox, smtp_server):
    from pstdesk.channels.email.intake import ingest

    email = ingest(mailbox, fixture("intro_plain.eml"))
    assert email.status == Intake.DELIVERED and email.thread_key == "new"
    consultation = email.consultation
    assert consultation.introduction_given
    assert "introduction" not in core.refresh_requirements(consultation, by=SystemActor("test"))
    ack = smtp_server.sink.messages[0].message.get_content()
    assert "perkenalkan diri" not in ack
    assert OutboundEmail.objects.filter(consultation=consultation).count() == 1
