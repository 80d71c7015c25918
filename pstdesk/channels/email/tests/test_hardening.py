"""E-mail intake against tricks: CR/LF and encoding tricks in headers never crash the parser (the mail becomes a
consultation on the first try), a Message-ID threads only mail from the consultation's own visitor address, and a
bounce changes something only when it returns a mail we sent (its VERP address or our Message-ID)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pstdesk.channels.email import intake
from pstdesk.channels.email.models import InboundEmail, Intake, OutboundEmail
from pstdesk.channels.email.parsing import parse_email
from pstdesk.channels.email.poller import poll_once
from pstdesk.channels.email.tests.conftest import fixture
from pstdesk.channels.email.threading import bounce_address
from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.models import Visitor

CONTROL = {chr(c) for c in [*range(32), *range(127, 160), 0x2028, 0x2029]}


# --- headers --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["crlf_from_qp.eml", "crlf_from_b64.eml", "crlf_subject.eml", "bare_cr_from.eml"])
def test_crlf_in_encoded_headers_becomes_a_consultation_first_time(imap_mailbox, imap_server, smtp_server, name):
    imap_server.append(fixture(name), imap_mailbox.imap_folder)
    assert poll_once(imap_mailbox).stored == 1
    email = InboundEmail.objects.get()
    assert email.status == Intake.DELIVERED, email.error
    assert email.attempts == 1  # no retries: nothing crashed
    assert email.sender == "budi.crlf@student.unud.ac.id"
    visitor = email.consultation.visitor
    assert visitor.identity("email") == "budi.crlf@student.unud.ac.id" or visitor.email == email.sender
    assert not CONTROL & set(visitor.name) and not CONTROL & set(email.subject)
    assert "korban@example.id" not in {m.rcpt_tos[0] for m in smtp_server.sink.messages}  # no header injected
    assert smtp_server.sink.messages  # the acknowledgement went to the sender


@pytest.mark.django_db(transaction=True)
def test_encoded_word_instead_of_an_address_is_stored_not_retried(mailbox):
    email = intake.ingest(mailbox, fixture("crlf_addr.eml"))
    assert email.attempts == 1 and email.status in {Intake.DELIVERED, Intake.FAILED}
    assert "\r" not in email.sender and "\n" not in email.sender


NAMES = st.text(
    alphabet=st.one_of(st.sampled_from(["\r", "\n", "\x00", "\t", "\u2028", '"', "<", ">", "@", ",", ";"]),
                       st.characters(codec="utf-8")),
    max_size=40,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(name=NAMES, encoding=st.sampled_from(["b", "q"]), charset=st.sampled_from(["utf-8", "iso-8859-1", "x-bad"]))
def test_any_encoded_display_name_parses_to_one_line(name: str, encoding: str, charset: str) -> None:
    data = name.encode("utf-8", "surrogatepass")
    if encoding == "b":
        word = f"=?{charset}?b?{base64.b64encode(data).decode()}?="
    else:
        word = f"=?{charset}?q?" + "".join(f"={b:02X}" for b in data) + "?="
    raw = (
        f"From: {word} <budi@example.id>\r\nTo: bps5101@bps.go.id\r\nSubject: {word}\r\n"
        "Message-ID: <x.1@example.id>\r\n\r\nSaya Budi dari Universitas Udayana.\r\n"
    ).encode()
    parsed = parse_email(raw)
    assert parsed.from_address == "budi@example.id"
    assert not CONTROL & set(parsed.from_name) and not CONTROL & set(parsed.subject)
    parsed.from_name.encode("utf-8")  # storable


# --- threading by Message-ID ----------------------------------------------------------------------------------------

transactional_db = pytest.mark.django_db(transaction=True)


@transactional_db
def test_message_id_from_another_address_does_not_post_into_the_consultation(mailbox, smtp_server):
    first = intake.ingest(mailbox, fixture("intro_plain.eml"))
    consultation = first.consultation
    ours = OutboundEmail.objects.get(consultation=consultation).message_id
    refs = f"<CAFx1intro.budi@mail.gmail.com> {ours}"
    forged = intake.ingest(mailbox, fixture("injection_reply.eml", IN_REPLY_TO=ours, REFERENCES=refs))
    assert forged.status == Intake.DELIVERED
    assert forged.consultation_id != consultation.pk  # a consultation of its own sender
    assert forged.consultation.visitor.identity("email") == "penyusup@example.net"
    assert not consultation.messages.filter(body__contains="semua data konsultasi").exists()
    assert "not its visitor's address" in forged.error
    # the visitor's own reply with the same references still threads
    own = fixture("injection_reply.eml", IN_REPLY_TO=ours, REFERENCES=refs)
    own = own.replace(b"Orang Lain <penyusup@example.net>", b"Budi Santoso <budi.santoso@student.unud.ac.id>")
    own = own.replace(b"<inject.1@example.net>", b"<own.2@mail.gmail.com>")
    reply = intake.ingest(mailbox, own)
    assert reply.consultation_id == consultation.pk and reply.thread_key == "references"


@transactional_db
def test_visitors_own_message_id_quoted_by_a_stranger_does_not_thread(mailbox, smtp_server):
    first = intake.ingest(mailbox, fixture("intro_plain.eml"))
    visitor_id = "<CAFx1intro.budi@mail.gmail.com>"
    forged = intake.ingest(mailbox, fixture("injection_reply.eml", IN_REPLY_TO=visitor_id, REFERENCES=visitor_id))
    assert forged.consultation_id != first.consultation_id


# --- bounces ----------------------------------------------------------------------------------------------------------


@transactional_db
def test_forged_bounce_from_any_address_marks_nothing(mailbox, smtp_server):
    first = intake.ingest(mailbox, fixture("intro_plain.eml"))
    visitor = first.consultation.visitor
    address = visitor.identity("email") or visitor.email
    bounce = intake.ingest(mailbox, fixture("bounce_dsn.eml", RCPT=address, ORIGINAL_ID="<guessed.1@bps.go.id>"))
    assert bounce.status == Intake.BOUNCE and bounce.consultation is None and bounce.error
    assert Visitor.objects.get(pk=visitor.pk).email_failing_at is None
    assert not first.consultation.messages.filter(kind="note").exists()


@transactional_db
def test_bounce_of_our_mail_to_someone_else_cannot_name_another_visitor(mailbox, smtp_server):
    victim = intake.ingest(mailbox, fixture("intro_plain.eml")).consultation.visitor
    attacker = intake.ingest(mailbox, fixture("no_intro.eml")).consultation
    theirs = OutboundEmail.objects.filter(consultation=attacker).first()
    assert theirs is not None
    victim_address = victim.identity("email") or victim.email
    intake.ingest(mailbox, fixture("bounce_dsn.eml", RCPT=victim_address, ORIGINAL_ID=theirs.message_id))
    assert Visitor.objects.get(pk=victim.pk).email_failing_at is None


@transactional_db
def test_bounce_to_our_verp_address_is_matched_without_the_original_headers(mailbox, smtp_server):
    first = intake.ingest(mailbox, fixture("intro_plain.eml"))
    ack = OutboundEmail.objects.get(consultation=first.consultation)
    verp = bounce_address(mailbox, ack.outbox_id)
    assert smtp_server.sink.messages[-1].mail_from == verp  # the envelope sender of the real SMTP session
    bounce = intake.ingest(mailbox, fixture("bounce_verp.eml", VERP=verp, RCPT=ack.to_address))
    assert bounce.status == Intake.BOUNCE and bounce.consultation_id == first.consultation_id
    assert bounce.thread_key == "verp"
    assert Visitor.objects.get(pk=first.consultation.visitor_id).email_failing_at is not None
    forged_verp = verp[: verp.index("-") + 1] + "0" * 20 + verp[verp.index("@") :]
    second = intake.ingest(
        mailbox,
        fixture("bounce_verp.eml", VERP=forged_verp, RCPT=ack.to_address).replace(b"dsn.verp.1", b"dsn.verp.2"),
    )
    assert second.consultation is None
    assert Consultation.objects.count() == 1
