"""Jembrana's e-mail procedure, step 4: "the visitor gives the rating and feedback … through e-mail". A reply to
the closing e-mail with a number 1–5 (plus feedback and the integrity answers) is recorded as the rating, through
the real intake (IMAP server, .eml), without reopening the consultation; the link page stays a second way."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pstdesk.audit.models import AuditLog
from pstdesk.channels.email.models import InboundEmail, Intake
from pstdesk.channels.email.poller import poll_once
from pstdesk.channels.email.rating_reply import read_rating_reply
from pstdesk.channels.email.tests.conftest import fixture
from pstdesk.channels.email.tests.helpers import answer_to
from pstdesk.consultations import actions as core
from pstdesk.consultations.models import Consultation, Status
from pstdesk.guestbook import actions as guestbook
from pstdesk.guestbook.requirements import missing_requirements
from pstdesk.guestbook.tests.factories import guestbook_data
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.ratings.models import Rating


def _fill_guestbook(consultation: Consultation) -> None:
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
    visitor.email_verified_at = timezone.now()
    visitor.whatsapp = visitor.whatsapp or "+6281234567890"
    visitor.save(update_fields=["email_verified_at", "whatsapp"])


@pytest.mark.django_db(transaction=True)
def test_rating_by_replying_to_the_closing_email(imap_mailbox: Any, imap_server: Any, smtp_server: Any, officer_5101):
    sent = smtp_server.sink.messages
    imap_server.append(fixture("intro_plain.eml"), imap_mailbox.imap_folder)
    poll_once(imap_mailbox)
    consultation = Consultation.objects.get(office_id="5101", channel="email")
    _fill_guestbook(consultation)
    core.refresh_requirements(consultation, by=SystemActor("test"))
    core.mark_request_clear(consultation, by=officer_5101)
    core.post_reply(consultation, by=officer_5101, body="Berikut datanya.")
    core.mark_answered(consultation, by=officer_5101)
    core.close_consultation(consultation, by=officer_5101)  # 5101: close, then rate — the rating request goes out
    closing = sent[-1].message
    text = closing.get_content()
    assert "membalas e-mail ini" in text and "angka 1 sampai 5" in text and "Pungli: ya/tidak" in text
    assert "/nilai/" in text  # the link page stays as a second way
    messages_before = consultation.messages.filter(direction="in").count()

    raw = fixture(
        "rating_reply.eml",
        to=str(closing["Reply-To"]),
        subject=str(closing["Subject"]),
        in_reply_to=str(closing["Message-ID"]),
    )
    imap_server.append(raw, imap_mailbox.imap_folder)
    poll_once(imap_mailbox)

    rating = Rating.objects.get(consultation=consultation)
    assert (rating.score, rating.channel, rating.gratuity, rating.illegal_fee) == (4, "email", False, False)
    assert rating.feedback.startswith("Jawabannya jelas, hanya agak lama menunggu.")
    assert "Imbalan" not in rating.feedback and ">" not in rating.feedback
    consultation.refresh_from_db()
    assert consultation.status == Status.CLOSED and consultation.rated_at is not None  # not reopened
    assert not AuditLog.objects.filter(verb="consultation.reopened", subject_id=str(consultation.pk)).exists()
    assert consultation.messages.filter(direction="in").count() == messages_before + 1  # the reply is kept
    # ... in the transcript without its integrity lines: the officer concerned never reads them there
    kept = consultation.messages.filter(direction="in").latest("seq").body
    assert kept.startswith("4") and "Jawabannya jelas" in kept
    assert "Imbalan" not in kept and "Pungli" not in kept and "lihat penilaian" in kept
    email = InboundEmail.objects.get(message_id="<CAFx1rating.budi@mail.gmail.com>")
    assert email.status == Intake.DELIVERED and email.consultation_id == consultation.pk
    audit = AuditLog.objects.get(verb="rating.recorded")
    assert audit.after["score"] == 4 and audit.after["channel"] == "email"
    assert "4 dari 5" in sent[-1].message.get_content()  # thanked by e-mail


@pytest.mark.django_db(transaction=True)
def test_a_reply_without_a_score_is_a_message_and_reopens(imap_mailbox, imap_server, smtp_server, officer_5101):
    sent = smtp_server.sink.messages
    imap_server.append(fixture("intro_plain.eml"), imap_mailbox.imap_folder)
    poll_once(imap_mailbox)
    consultation = Consultation.objects.get(office_id="5101", channel="email")
    _fill_guestbook(consultation)
    core.refresh_requirements(consultation, by=SystemActor("test"))
    core.mark_request_clear(consultation, by=officer_5101)
    core.mark_answered(consultation, by=officer_5101)
    core.close_consultation(consultation, by=officer_5101)
    imap_server.append(
        answer_to(sent[-1], body="Maaf, saya perlu juga data 2 tahun sebelumnya."), imap_mailbox.imap_folder
    )
    poll_once(imap_mailbox)
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW and not Rating.objects.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", (5, "", False, False)),
        ("5/5 mantap", (5, "mantap", False, False)),
        ("4 - cukup baik\nImbalan: tidak\nPungli: ya", (4, "cukup baik", False, True)),
        ("Nilai: 3\nterlalu lama", (3, "terlalu lama", False, False)),
        ("Terima kasih! nilai 4", (4, "Terima kasih!", False, False)),
        ("Imbalan: ya\n2", (2, "", True, False)),
    ],
)
def test_reading_a_rating_reply(text: str, expected: tuple[int, str, bool, bool]) -> None:
    reply = read_rating_reply(text)
    assert reply is not None
    assert (reply.score, reply.feedback, reply.gratuity, reply.illegal_fee) == expected
    assert not any(word in reply.transcript_text.lower() for word in ("imbalan:", "pungli:"))
    assert ("lihat penilaian" in reply.transcript_text) == ("imbalan" in text.lower() or "pungli" in text.lower())


@pytest.mark.parametrize("text", ["", "saya perlu data 2 tahun lagi", "2.5 juta", "10:00 saya datang", "Nilai 7"])
def test_numbers_that_are_not_ratings(text: str) -> None:
    assert read_rating_reply(text) is None


@pytest.mark.django_db
def test_guestbook_counts_as_introduced_and_officer_can_accept(client: Client, officer_5101, officer_5102) -> None:
    from pstdesk.consultations.tests.conftest import make_inbound

    first = core.receive_message(make_inbound(office="5101", channel="email")).consultation
    assert "introduction" in missing_requirements(first)
    _fill_guestbook(first)
    assert "introduction" not in missing_requirements(first)  # the guestbook is an introduction

    second = core.receive_message(
        make_inbound(office="5101", channel="email", sender_name="", sender_email="ketut@example.test")
    ).consultation
    assert second.visitor_id != first.visitor_id
    assert "introduction" in missing_requirements(second)
    client.force_login(officer_5102)
    assert client.post(f"/console/{second.pk}/accept-introduction/").status_code == 404  # another office's
    client.force_login(officer_5101)
    page = client.get(f"/console/{second.pk}/").content.decode()
    assert 'data-verb="accept-introduction"' in page
    assert client.post(f"/console/{second.pk}/accept-introduction/").status_code == 200
    second.refresh_from_db()
    assert second.introduction_given and "introduction" not in missing_requirements(second)
    audit = AuditLog.objects.get(verb="consultation.introduction_given", subject_id=str(second.pk))
    assert audit.actor == officer_5101
