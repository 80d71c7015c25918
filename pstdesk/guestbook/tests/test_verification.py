from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from pstdesk.audit.models import AuditLog
from pstdesk.guestbook.actions import GuestbookError, start_email_verification, verify_email
from pstdesk.guestbook.models import EmailVerification, Visitor, VisitorMerge
from pstdesk.guestbook.tests.factories import make_visitor
from pstdesk.lib.actors import ChannelActor, SystemActor, VisitorActor
from pstdesk.testing.identities import add_identities, identify


def _sent_code() -> str:
    match = re.search(r"\b(\d{8})\b", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_code_is_mailed_hashed_and_verifies(db: None) -> None:
    visitor = make_visitor(name="Ani")
    start_email_verification(visitor, email="ani@example.test", by=VisitorActor(1))
    assert mail.outbox[-1].to == ["ani@example.test"]
    code = _sent_code()
    row = EmailVerification.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert abs((row.expires_at - row.created_at) - timedelta(minutes=30)) < timedelta(seconds=1)
    visitor.refresh_from_db()
    assert visitor.email == "ani@example.test" and visitor.email_verified_at is None
    assert AuditLog.objects.filter(verb="email_verification.started").count() == 1

    survivor = verify_email(visitor, code=code, by=VisitorActor(1))
    assert survivor.pk == visitor.pk and survivor.email_verified_at is not None
    row.refresh_from_db()
    assert row.verified_at is not None
    assert AuditLog.objects.filter(verb="visitor.email_verified", subject_id=str(visitor.pk)).count() == 1


def test_wrong_code_counts_attempts_and_closes_after_five(db: None) -> None:
    visitor = make_visitor()
    start_email_verification(visitor, email="ani@example.test", by=SystemActor("x"))
    code = _sent_code()
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for attempt in range(1, 5):
        with pytest.raises(GuestbookError) as info:
            verify_email(visitor, code=wrong, by=SystemActor("x"))
        assert "code" in info.value.errors
        assert EmailVerification.objects.get().attempts == attempt
    with pytest.raises(GuestbookError) as info:
        verify_email(visitor, code=wrong, by=SystemActor("x"))
    assert EmailVerification.objects.get().closed_at is not None
    # Even the right code no longer works: a new code must be requested.
    with pytest.raises(GuestbookError):
        verify_email(visitor, code=code, by=SystemActor("x"))
    visitor.refresh_from_db()
    assert visitor.email_verified_at is None
    assert AuditLog.objects.filter(verb="email_verification.failed").count() == 5


def test_expired_code_is_refused(db: None) -> None:
    visitor = make_visitor()
    with time_machine.travel("2026-03-02 02:00:00+00:00", tick=False):
        start_email_verification(visitor, email="ani@example.test", by=SystemActor("x"))
        code = _sent_code()
    with time_machine.travel("2026-03-02 02:31:00+00:00", tick=False):
        with pytest.raises(GuestbookError) as info:
            verify_email(visitor, code=code, by=SystemActor("x"))
    assert "kedaluwarsa" in info.value.errors["code"]
    visitor.refresh_from_db()
    assert visitor.email_verified_at is None


def test_no_pending_code(db: None) -> None:
    visitor = make_visitor(email="ani@example.test")
    with pytest.raises(GuestbookError):
        verify_email(visitor, code="123456", by=SystemActor("x"))
    assert not AuditLog.objects.exists()


def test_rate_limits_new_codes(db: None) -> None:
    visitor = make_visitor()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        start_email_verification(visitor, email="ani@example.test", by=SystemActor("x"))
        with pytest.raises(GuestbookError) as info:
            start_email_verification(visitor, email="ani@example.test", by=SystemActor("x"))
        assert "menit" in info.value.errors["email"]
    # (other addresses: one address has its own, tighter limits, see test_verification_limits.py)
    for minute in range(1, 5):
        with time_machine.travel(start + timedelta(minutes=2 * minute), tick=False):
            start_email_verification(visitor, email=f"ani{minute}@example.test", by=SystemActor("x"))
    with time_machine.travel(start + timedelta(minutes=12), tick=False):
        with pytest.raises(GuestbookError):
            start_email_verification(visitor, email="ani9@example.test", by=SystemActor("x"))
    assert EmailVerification.objects.count() == 5
    assert len(mail.outbox) == 5
    # Only the newest code is open: the earlier ones were replaced.
    assert EmailVerification.objects.filter(closed_at__isnull=True).count() == 1


def test_invalid_address_changes_nothing(db: None) -> None:
    visitor = make_visitor(email="old@example.test")
    with pytest.raises(GuestbookError) as info:
        start_email_verification(visitor, email="bukan alamat", by=SystemActor("x"))
    assert "email" in info.value.errors
    visitor.refresh_from_db()
    assert visitor.email == "old@example.test"
    assert not EmailVerification.objects.exists() and not mail.outbox


def test_failed_send_changes_nothing(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "pstdesk.guestbook.tests.test_verification.FailingBackend"
    visitor = make_visitor(email="old@example.test")
    with pytest.raises(GuestbookError):
        start_email_verification(visitor, email="new@example.test", by=SystemActor("x"))
    visitor.refresh_from_db()
    assert visitor.email == "old@example.test"
    assert not EmailVerification.objects.exists()


class FailingBackend:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("smtp down")


def test_verifying_an_address_another_identity_verified_keeps_them_apart(db: None) -> None:
    """A code proves the mailbox, not the other identity's WhatsApp or chat: no merge, nothing moves."""
    owner = make_visitor(name="Dewi", email="dewi@example.test", email_verified_at=timezone.now(), wa_id="6281")
    newcomer = make_visitor(whatsapp="+6281234567890")
    start_email_verification(newcomer, email="dewi@example.test", by=SystemActor("x"))
    survivor = verify_email(newcomer, code=_sent_code(), by=SystemActor("x"))
    assert survivor.pk == newcomer.pk and survivor.email_verified_at is not None
    newcomer.refresh_from_db()
    owner.refresh_from_db()
    assert newcomer.merged_into_id is None and owner.merged_into_id is None
    assert not VisitorMerge.objects.exists()
    audit = AuditLog.objects.get(verb="visitor.email_verified")
    assert audit.after["other_identities_with_address"] == 1


def test_email_channel_identity_with_another_proof_is_not_merged(db: None) -> None:
    from pstdesk.guestbook.actions import identify_visitor

    sender = identify(email="budi@example.test", email_channel=True, by=ChannelActor("email"))
    add_identities(sender, whatsapp="6281999")
    web = make_visitor(name="Budi")
    start_email_verification(web, email="budi@example.test", by=SystemActor("x"))
    assert verify_email(web, code=_sent_code(), by=SystemActor("x")).pk == web.pk
    assert Visitor.objects.get(pk=sender.pk).merged_into_id is None


def test_verifying_joins_the_email_channel_identity_of_that_sender(db: None) -> None:
    from pstdesk.guestbook.actions import identify_visitor

    sender = identify(email="budi@example.test", email_channel=True, by=ChannelActor("email"))
    web = make_visitor(name="Budi")
    start_email_verification(web, email="budi@example.test", by=SystemActor("x"))
    survivor = verify_email(web, code=_sent_code(), by=SystemActor("x"))
    assert survivor.pk == web.pk and survivor.email_verified_at is not None
    assert survivor.identity("email") == "budi@example.test"
    assert Visitor.objects.get(pk=sender.pk).merged_into_id == web.pk
    # The next e-mail from that sender lands on the surviving, verified identity.
    assert identify(email="budi@example.test", email_channel=True, by=ChannelActor("email")).pk == web.pk
