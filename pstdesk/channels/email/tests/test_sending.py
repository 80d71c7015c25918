"""The adapter against a real SMTP server: permanent and temporary errors, retries keep the Message-ID; threading
keys are office-bound and a subject tag from a stranger does not thread."""

from __future__ import annotations

import pytest

from pstdesk.channels.base import ChannelError
from pstdesk.channels.email import intake
from pstdesk.channels.email.adapter import EmailAdapter
from pstdesk.channels.email.models import OutboundEmail
from pstdesk.channels.email.tests.conftest import fixture
from pstdesk.channels.email.tests.helpers import visitor_mail
from pstdesk.channels.email.threading import read_reply_token, reply_token
from pstdesk.consultations import actions as core
from pstdesk.consultations.tasks import build_outbound

pytestmark = pytest.mark.django_db(transaction=True)


def test_permanent_and_temporary_smtp_errors(mailbox, smtp_server, officer_5101):
    consultation = intake.ingest(mailbox, fixture("intro_plain.eml")).consultation
    smtp_server.sink.refuse["budi.santoso@student.unud.ac.id"] = "550 5.1.1 no such user"
    reply = core.post_reply(consultation, by=officer_5101, body="Jawaban")
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and "550" in reply.delivery_error

    smtp_server.sink.refuse["budi.santoso@student.unud.ac.id"] = "451 4.3.0 try later"
    second = core.post_reply(consultation, by=officer_5101, body="Jawaban kedua")
    second.refresh_from_db()
    assert second.delivery_status == "pending" and "451" in second.delivery_error
    first_id = OutboundEmail.objects.get(outbox=second).message_id

    del smtp_server.sink.refuse["budi.santoso@student.unud.ac.id"]
    EmailAdapter().send(build_outbound(second))  # the retry
    assert OutboundEmail.objects.get(outbox=second).message_id == first_id  # same Message-ID on retry
    assert smtp_server.sink.messages[-1].message["Message-ID"] == first_id


def test_unreachable_server_is_temporary(mailbox, officer_5101):
    consultation = intake.ingest(mailbox, fixture("intro_plain.eml")).consultation
    mailbox.smtp_port = 1  # nothing listens there
    mailbox.save()
    message = core.post_reply(consultation, by=officer_5101, body="Jawaban")
    with pytest.raises(ChannelError) as error:
        EmailAdapter().send(build_outbound(message))
    assert not error.value.permanent and error.value.code == "network"


def test_no_mailbox_is_permanent(db):
    from pstdesk.channels.base import OutboundMessage

    with pytest.raises(ChannelError) as error:
        EmailAdapter().send(
            OutboundMessage(message_id=1, consultation_id=1, office_code="5102", channel="email", body="x", payload={})
        )
    assert error.value.permanent and error.value.code == "no_mailbox"


def test_reply_tokens_are_signed_and_office_bound():
    token = reply_token("5101", 42)
    assert read_reply_token("5101", token) == 42
    assert read_reply_token("5101", token.upper()) == 42  # servers that fold the case
    assert read_reply_token("5102", token) is None
    assert read_reply_token("5101", token.replace("c42", "c43")) is None
    assert read_reply_token("5101", "c42-" + "0" * 20) is None


def test_subject_tag_from_a_stranger_opens_a_new_consultation(mailbox):
    consultation = intake.ingest(mailbox, fixture("intro_plain.eml")).consultation
    raw = visitor_mail(
        subject=f"Re: data [PST#{consultation.pk}]", body="Saya dari Dinas X", sender="Orang Lain <lain@example.id>"
    )
    email = intake.ingest(mailbox, raw)
    assert email.thread_key == "new" and email.consultation_id != consultation.pk


def test_intake_list_is_office_scoped(mailbox, admin_5101, admin_5102, rf):
    from django.contrib.admin.sites import site

    from pstdesk.channels.email.admin import InboundEmailAdmin
    from pstdesk.channels.email.models import InboundEmail

    intake.ingest(mailbox, fixture("garbage.eml"))
    admin = InboundEmailAdmin(InboundEmail, site)
    request = rf.get("/admin/")
    request.user = admin_5101
    assert admin.get_queryset(request).count() == 1
    request.user = admin_5102
    assert admin.get_queryset(request).count() == 0
