"""Out-of-office replies, bounces, mailing lists and our own mail never trigger a reply; bounces mark the address
failing and tell the officer; malformed mail is stored or refused with a clear reason, never dropped."""

from __future__ import annotations

import pytest

from pstdesk.audit.models import AuditLog
from pstdesk.channels.email import intake
from pstdesk.channels.email.actions import mark_address_failing
from pstdesk.channels.email.models import InboundEmail, Intake, OutboundEmail
from pstdesk.channels.email.poller import poll_once
from pstdesk.channels.email.tests.conftest import fixture
from pstdesk.consultations.models import Consultation, Message
from pstdesk.lib.actors import ChannelActor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "name", ["ooo_autoreply.eml", "ooo_outlook.eml", "x_autoreply.eml", "precedence_bulk.eml", "mailing_list.eml"]
)
def test_automatic_mail_never_triggers_a_reply(mailbox, smtp_server, name):
    email = intake.ingest(mailbox, fixture(name))
    assert email.status == Intake.AUTO  # kept in a consultation for the officer to see
    assert email.desk_message is not None
    assert not Message.objects.filter(direction="out", kind="message").exists()
    assert smtp_server.sink.messages == []


def test_automatic_mail_out_of_hours_still_gets_no_reply(mailbox, smtp_server, time_machine):
    time_machine.move_to("2026-08-08 22:00:00+08:00")  # Saturday night
    intake.ingest(mailbox, fixture("ooo_autoreply.eml"))
    assert smtp_server.sink.messages == []
    intake.ingest(mailbox, fixture("no_intro.eml"))  # a person out of hours does get the replies
    assert smtp_server.sink.messages


def test_our_own_mail_coming_back_is_ignored(mailbox, smtp_server):
    from pstdesk.channels.email.tests.helpers import visitor_mail

    raw = visitor_mail(subject="loop", body="ours", sender="BPS Jembrana <bps5101@bps.go.id>")
    email = intake.ingest(mailbox, raw)
    assert email.status == Intake.OWN and email.consultation is None
    assert not Consultation.objects.exists() and smtp_server.sink.messages == []


def test_bounce_marks_the_address_failing_and_tells_the_officer(mailbox, smtp_server):
    first = intake.ingest(mailbox, fixture("intro_plain.eml"))
    consultation = first.consultation
    ack = OutboundEmail.objects.get(consultation=consultation)
    sent_before = len(smtp_server.sink.messages)
    bounce = intake.ingest(mailbox, fixture("bounce_dsn.eml", RCPT=ack.to_address, ORIGINAL_ID=ack.message_id))
    assert bounce.status == Intake.BOUNCE and bounce.consultation_id == consultation.pk
    visitor = consultation.visitor
    visitor.refresh_from_db()
    assert visitor.email_failing_at is not None
    audit = AuditLog.objects.get(verb="visitor.email_failing", subject_id=str(visitor.pk))
    assert audit.actor_label == "channel:email" and "5.1.1" in audit.after["reason"]
    note = consultation.messages.get(kind="note")
    assert "gagal terkirim" in note.body and ack.to_address in note.body
    assert Message.objects.get(pk=ack.outbox_id).delivery_status == "failed"
    assert not consultation.messages.filter(direction="in", body__contains="mail system").exists()
    assert len(smtp_server.sink.messages) == sent_before  # no reply to a bounce


def test_bounce_without_report_or_match_is_kept_not_delivered(mailbox, smtp_server):
    email = intake.ingest(mailbox, fixture("mailer_daemon_plain.eml"))
    assert email.status == Intake.BOUNCE and email.consultation is None and email.error
    assert not Consultation.objects.exists() and smtp_server.sink.messages == []


def test_mark_address_failing_once(mailbox):
    from pstdesk.guestbook.models import Visitor

    visitor = Visitor.objects.create(email="x@example.id")
    mark_address_failing(visitor, by=ChannelActor("email"), reason="5.1.1")
    first = Visitor.objects.get(pk=visitor.pk).email_failing_at
    mark_address_failing(visitor, by=ChannelActor("email"), reason="5.1.1")
    assert Visitor.objects.get(pk=visitor.pk).email_failing_at == first
    assert AuditLog.objects.filter(verb="visitor.email_failing").count() == 1


@pytest.mark.parametrize(
    ("name", "status", "reason"),
    [
        ("bad_charset.eml", Intake.DELIVERED, "x-unknown-charset"),
        ("no_message_id.eml", Intake.DELIVERED, "no Message-ID"),
        ("deep_nesting.eml", Intake.DELIVERED, "nesting deeper than"),
        ("oversized_attachment.eml", Intake.DELIVERED, "'besar.bin' refused"),
        ("garbage.eml", Intake.FAILED, "Tidak ada alamat pengirim"),
    ],
)
def test_malformed_corpus_through_imap(imap_mailbox, imap_server, settings, name, status, reason):
    settings.ATTACHMENT_MAX_BYTES = 1024
    raw = fixture(name)
    imap_server.append(raw, imap_mailbox.imap_folder)
    result = poll_once(imap_mailbox)
    assert result.stored == 1
    email = InboundEmail.objects.get()
    assert bytes(email.raw).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")  # the raw mail is kept
    assert email.status == status
    assert reason in email.error
    if status == Intake.DELIVERED:
        message = email.desk_message
        assert reason in " ".join(message.payload["email"]["problems"])  # the officer sees why
    assert poll_once(imap_mailbox).stored == 0


def test_oversized_attachment_keeps_the_others(mailbox, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    email = intake.ingest(mailbox, fixture("oversized_attachment.eml"))
    message = email.desk_message
    names = list(message.attachments.values_list("filename", flat=True))
    rejected = message.payload.get("rejected_attachments", [])
    assert "besar.bin" not in names
    assert names == ["surat.pdf"] or [r["filename"] for r in rejected] == ["surat.pdf"]  # core type rules
    assert "Universitas Udayana" in message.body
